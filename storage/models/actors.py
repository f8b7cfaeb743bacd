"""Actors: our own people, communities and instance actor, and cached remote ones.

One table for local and remote actors, because everything that points at an
actor (follows, posts, memberships) should not care where it lives. People and
communities share one namespace of local names (``local_username`` is unique),
so ``name@node`` always means exactly one actor.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from storage.types import id_column, time_column, utcnow


class ActorType(StrEnum):
    PERSON = "Person"
    GROUP = "Group"
    APPLICATION = "Application"
    SERVICE = "Service"
    ORGANIZATION = "Organization"


class Actor(SQLModel, table=True):
    __tablename__ = "actors"

    id: int | None = Field(default=None, sa_column=id_column())
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    type: str = Field(default=ActorType.PERSON, max_length=32)
    local: bool = Field(default=False, index=True)
    # Lower-cased name, set only for local actors: the node's one name namespace.
    local_username: str | None = Field(default=None, max_length=64, unique=True)
    username: str = Field(max_length=255)
    domain: str = Field(max_length=255, index=True)
    display_name: str = Field(default="", max_length=255)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    url: str | None = Field(default=None, max_length=2048)
    inbox_url: str = Field(max_length=2048)
    outbox_url: str | None = Field(default=None, max_length=2048)
    shared_inbox_url: str | None = Field(default=None, max_length=2048)
    followers_url: str | None = Field(default=None, max_length=2048)
    following_url: str | None = Field(default=None, max_length=2048)
    featured_url: str | None = Field(default=None, max_length=2048)
    icon_url: str | None = Field(default=None, max_length=2048)
    image_url: str | None = Field(default=None, max_length=2048)
    public_key_id: str | None = Field(default=None, max_length=2048, index=True)
    public_key_pem: str | None = Field(default=None, sa_column=Column(Text))
    private_key_pem: str | None = Field(default=None, sa_column=Column(Text), repr=False)
    manually_approves_followers: bool = False
    discoverable: bool = True
    # Profile fields as [{"name": ..., "value": ...}], shown as PropertyValue attachments.
    fields: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    published: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    # When a remote actor's document was last fetched; None for local actors.
    fetched_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    gone: bool = False
    # A remote Group's own word that its posts are for members alone
    # (our ``membersOnly``); local communities keep theirs in ``communities``.
    members_only: bool = False
    # A remote Group's ``followers.totalItems`` (its member count on its own
    # node), read when the actor is refreshed; None when it does not say.
    followers_count: int | None = None
