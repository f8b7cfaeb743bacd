"""Communities: a local ``Group`` actor's settings, roles, bans, invitations and posts.

The community itself is an ``actors`` row of type ``Group`` (one namespace of
names with people, found by WebFinger like a person); its members are its
accepted followers (``follows``), so membership rides on Follow/Accept/Undo
as every group-aware server expects. The rows here hold what an actor row
cannot: the community's policies and descriptors (``communities``, local
ones only), who moderates it (``community_roles``), who is banned
(``community_bans``), who is invited (``community_invitations``) and which
posts it announced (``community_posts``, for local and remote communities
alike: that is the community's timeline, and where a thread is locked).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, key_column, time_column, utcnow


class JoinPolicy(StrEnum):
    OPEN = "open"
    APPROVAL = "approval"
    INVITATION = "invitation"


class PostingPolicy(StrEnum):
    MEMBERS = "members"
    MODERATORS = "moderators"


class CommunityVisibility(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"


class CommunityRole(StrEnum):
    OWNER = "owner"
    MODERATOR = "moderator"


class Community(SQLModel, table=True):
    __tablename__ = "communities"

    actor_id: int = Field(sa_column=key_column("actors.id"))
    rules: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    subjects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    level: str = Field(default="", max_length=32)
    kind: str = Field(default="", max_length=32)
    join_policy: str = Field(default=JoinPolicy.OPEN, max_length=16)
    posting_policy: str = Field(default=PostingPolicy.MEMBERS, max_length=16)
    visibility: str = Field(default=CommunityVisibility.PUBLIC, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class CommunityMember(SQLModel, table=True):
    """A role in a community: its owner or one of its moderators (members are followers)."""

    __tablename__ = "community_roles"
    __table_args__ = (UniqueConstraint("community_id", "actor_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    community_id: int = Field(sa_column=fk_column("actors.id"))
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    role: str = Field(default=CommunityRole.MODERATOR, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class CommunityBan(SQLModel, table=True):
    __tablename__ = "community_bans"
    __table_args__ = (UniqueConstraint("community_id", "actor_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    community_id: int = Field(sa_column=fk_column("actors.id"))
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class CommunityInvitation(SQLModel, table=True):
    """Who may join a by-invitation community (by actor id: they may not be known yet)."""

    __tablename__ = "community_invitations"
    __table_args__ = (UniqueConstraint("community_id", "actor_ap_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    community_id: int = Field(sa_column=fk_column("actors.id"))
    actor_ap_id: str = Field(max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class CommunityPost(SQLModel, table=True):
    """A post a community announced (ours) or was seen announcing (a remote one)."""

    __tablename__ = "community_posts"
    __table_args__ = (UniqueConstraint("community_id", "object_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    community_id: int = Field(sa_column=fk_column("actors.id"))
    object_id: int = Field(sa_column=fk_column("objects.id"))
    locked: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
