"""Uploaded media: one row per file a local account uploaded through the API.

Lifecycle: uploaded (``object_id`` None: only its uploader sees it, and may
still change its description and focus) → attached (``object_id`` set when a
post carrying it is created; from then on it is part of the post and changes
only through an edit of the post). Files live under the node's media
directory; ``file_name`` and ``preview_name`` are names inside it, never
paths, and carry a random part so a URL cannot be guessed from an id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class MediaAttachment(SQLModel, table=True):
    __tablename__ = "media_attachments"

    id: int | None = Field(default=None, sa_column=id_column())
    # The uploader (a local actor): only they may attach, read or change it before posting.
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    # The post it belongs to; None until a post attaches it.
    object_id: int | None = Field(default=None, sa_column=fk_column("objects.id", nullable=True))
    # Mastodon's type: image, gifv, video, audio or unknown.
    type: str = Field(default="image", max_length=16)
    content_type: str = Field(max_length=255)
    file_name: str = Field(max_length=255)
    preview_name: str | None = Field(default=None, max_length=255)
    file_size: int = 0
    description: str | None = Field(default=None, sa_column=Column(Text))
    # Mastodon's focal point, each in [-1, 1]; None when never set.
    focus_x: float | None = None
    focus_y: float | None = None
    # {"original": {...}, "small": {...}} as the MediaAttachment entity shows it.
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    blurhash: str | None = Field(default=None, max_length=255)
    # Order among a post's attachments.
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
