"""What the Mastodon API keeps about local posts beyond their AS2 object.

* :class:`StatusSource`: the text as the author typed it (``GET
  /statuses/:id/source``, redraft after delete) and the app that posted it;
  the object itself only holds rendered HTML.
* :class:`StatusEdit`: each earlier version of an edited post, for ``GET
  /statuses/:id/history``.
* :class:`IdempotencyKey`: an ``Idempotency-Key`` header already used by an
  account; a repeat within an hour returns the first post instead of a new one.
* :class:`Bookmark`: a post an actor bookmarked (private to them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, key_column, time_column, utcnow


class StatusSource(SQLModel, table=True):
    __tablename__ = "status_sources"

    object_id: int = Field(sa_column=key_column("objects.id"))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The OAuth app that posted it (the Status entity's ``application``), if any.
    app_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("oauth_apps.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )


class StatusEdit(SQLModel, table=True):
    __tablename__ = "status_edits"

    id: int | None = Field(default=None, sa_column=id_column())
    object_id: int = Field(sa_column=fk_column("objects.id"))
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    sensitive: bool = False
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # The poll's option names at that version ([] for a post without a poll).
    poll_options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # When this version was current from (the post's publication or its previous edit).
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("actor_id", "key"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    key: str = Field(max_length=255)
    object_id: int = Field(sa_column=fk_column("objects.id"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(index=True))


class Bookmark(SQLModel, table=True):
    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("actor_id", "object_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    object_id: int = Field(sa_column=fk_column("objects.id"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
