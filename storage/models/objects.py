"""Content objects: notes, articles, pages, questions, events, documents.

One table for local and remote objects. ``visibility`` is derived from the
addressing once, when the object is stored, and every read path filters on it:
followers-only and direct objects must never leak by fetch, API or search.
A deleted object keeps its row as a tombstone (``deleted_at``), so a late
Update or a redelivered Create cannot bring it back.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    FOLLOWERS = "followers"
    DIRECT = "direct"
    # Stored and shown on this node only: never delivered nor served to
    # another node (a student's default; see actors.minors).
    LOCAL = "local"


class ContentObject(SQLModel, table=True):
    __tablename__ = "objects"
    # The local and public timelines (the front page): public posts of this node,
    # newest first, read straight from the index (visibility alone matched nearly
    # every row, which were then sorted).
    __table_args__ = (Index("ix_objects_public_local", "visibility", "local", "id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    type: str = Field(default="Note", max_length=32)
    author_id: int = Field(sa_column=fk_column("actors.id"))
    local: bool = Field(default=False, index=True)
    visibility: str = Field(default=Visibility.PUBLIC, max_length=16, index=True)
    url: str | None = Field(default=None, max_length=2048)
    name: str | None = Field(default=None, sa_column=Column(Text))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sensitive: bool = False
    language: str | None = Field(default=None, max_length=16)
    in_reply_to: str | None = Field(default=None, max_length=2048, index=True)
    conversation: str | None = Field(default=None, max_length=2048, index=True)
    # Addressing as published: lists of actor / collection ids.
    to: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cc: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Mentions and hashtags: [{"type": "Mention"|"Hashtag", "name": ..., "href": ...}]
    tags: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # Type-specific fields (Question options, Event times, material metadata).
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    replies_count: int = 0
    likes_count: int = 0
    announces_count: int = 0
    published: datetime = Field(default_factory=utcnow, sa_column=time_column(index=True))
    updated_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    fetched_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
