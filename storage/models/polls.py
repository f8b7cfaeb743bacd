"""Votes on polls (Question objects), local and remote voters alike.

One row per voter and chosen option; a single-choice poll has one row per
voter. The Question's option counts in ``ContentObject.extra`` are recounted
from these rows (never incremented), so a redelivered vote cannot count
twice. ``activity_ap_id`` is the vote's Create (or the Note it carried) for
votes received from other servers, unique so a redelivery is recognised.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class PollVote(SQLModel, table=True):
    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("object_id", "actor_id", "choice"),)

    id: int | None = Field(default=None, sa_column=id_column())
    object_id: int = Field(sa_column=fk_column("objects.id"))
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    choice: int
    activity_ap_id: str | None = Field(default=None, max_length=2048, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
