"""Per-account client state from the Mastodon API: mutes, read markers and lists.

All three belong to one local actor and are invisible to everyone else (and
never federated): a mute hides someone from *my* timelines and
notifications without telling them, unlike a block; a marker remembers where
I stopped reading a timeline, so my phone and my laptop agree; a list is a
named subset of the people I follow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class Mute(SQLModel, table=True):
    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("actor_id", "target_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    target_id: int = Field(sa_column=fk_column("actors.id"))
    # Also hide their notifications (Mastodon's default for a mute).
    notifications: bool = True
    # None: until lifted; else the mute ends by itself at this time.
    expires_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class Marker(SQLModel, table=True):
    """The last-read position of one timeline (``home`` or ``notifications``)."""

    __tablename__ = "markers"
    __table_args__ = (UniqueConstraint("actor_id", "timeline"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    timeline: str = Field(max_length=32)
    last_read_id: str = Field(max_length=64)
    # Bumped on each save; apps use it to detect a concurrent update.
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class UserList(SQLModel, table=True):
    __tablename__ = "lists"

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    title: str = Field(max_length=255)
    # Mastodon's replies_policy: followed, list or none.
    replies_policy: str = Field(default="list", max_length=16)
    exclusive: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class ListMember(SQLModel, table=True):
    __tablename__ = "list_members"
    __table_args__ = (UniqueConstraint("list_id", "target_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    list_id: int = Field(sa_column=fk_column("lists.id"))
    target_id: int = Field(sa_column=fk_column("actors.id"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
