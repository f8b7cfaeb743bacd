"""The social graph: follows (with their request state) and blocks.

Follow lifecycle: ``pending`` → ``accepted`` | ``rejected``; an Undo deletes
the row. ``activity_ap_id`` is the Follow's id, which Accept/Reject/Undo name.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class FollowState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Follow(SQLModel, table=True):
    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("follower_id", "followee_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    follower_id: int = Field(sa_column=fk_column("actors.id"))
    followee_id: int = Field(sa_column=fk_column("actors.id"))
    state: str = Field(default=FollowState.PENDING, max_length=16)
    activity_ap_id: str = Field(max_length=2048, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    # Mastodon's "notify": the follower gets a ``status`` notification for each new post.
    notify: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, default=False, server_default=false()),
    )


class Block(SQLModel, table=True):
    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("actor_id", "target_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    target_id: int = Field(sa_column=fk_column("actors.id"))
    activity_ap_id: str | None = Field(default=None, max_length=2048, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
