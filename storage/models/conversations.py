"""Per-person state of a direct conversation: read up to where, removed up to where.

The conversations themselves are not stored: they are the direct posts a
person may read, grouped by their ``conversation`` (see
:mod:`content.conversations`). Only what the person did to one is kept, and
only once they did something: "mark as read" and "remove" (which hides the
conversation until a newer message arrives, as Mastodon's does).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class ConversationMark(SQLModel, table=True):
    __tablename__ = "conversation_marks"
    __table_args__ = (UniqueConstraint("owner_id", "key_hash"),)

    id: int | None = Field(default=None, sa_column=id_column())
    owner_id: int = Field(sa_column=fk_column("actors.id", index=False))
    # SHA-256 of the conversation key (a URI that may be longer than an index allows).
    key_hash: str = Field(max_length=64)
    # The newest status id the owner has read, and the newest one they removed.
    read_up_to: int | None = Field(default=None, sa_column=Column(BigInteger))
    hidden_up_to: int | None = Field(default=None, sa_column=Column(BigInteger))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
