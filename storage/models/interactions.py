"""Likes, boosts (Announce), featured (pinned) objects and moderation reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class Like(SQLModel, table=True):
    __tablename__ = "likes"
    __table_args__ = (UniqueConstraint("actor_id", "object_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    object_id: int = Field(sa_column=fk_column("objects.id"))
    activity_ap_id: str = Field(max_length=2048, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class Announce(SQLModel, table=True):
    __tablename__ = "announces"
    __table_args__ = (UniqueConstraint("actor_id", "object_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    object_id: int = Field(sa_column=fk_column("objects.id"))
    activity_ap_id: str = Field(max_length=2048, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class Featured(SQLModel, table=True):
    __tablename__ = "featured"
    __table_args__ = (UniqueConstraint("actor_id", "object_ap_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    object_ap_id: str = Field(max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class Report(SQLModel, table=True):
    """A Flag received from another server (or filed locally), for moderators."""

    __tablename__ = "reports"

    id: int | None = Field(default=None, sa_column=id_column())
    reporter_id: int | None = Field(default=None, sa_column=fk_column("actors.id", nullable=True))
    target_id: int | None = Field(default=None, sa_column=fk_column("actors.id", nullable=True))
    object_ap_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    activity_ap_id: str | None = Field(default=None, max_length=2048, unique=True)
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    resolved_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    # Mastodon's categories: spam, legal, violation, other; "held" for a
    # message to a student held for a moderator.
    category: str = Field(default="other", max_length=16)
    assigned_id: int | None = Field(default=None, sa_column=fk_column("actors.id", nullable=True))
    resolved_by_id: int | None = Field(
        default=None, sa_column=fk_column("actors.id", nullable=True)
    )
    # Forwarded (anonymised) to the reported account's node.
    forwarded: bool = False
