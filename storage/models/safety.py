"""Safety: guardians, invites, moderation state and its audit log, domain policy, filters.

These tables answer a school's three questions: who may reach a child
(``guardian_links`` and the roles in ``accounts``), who sees what a child
posts (``visibility = 'local'`` in ``objects``), and what happens when
something goes wrong (``reports`` and ``moderation_actions``, the audit log;
``actor_moderation``, an account's current state; ``domain_policies``, what
the node does with a whole server).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class GuardianLink(SQLModel, table=True):
    """A parent account linked by the school to a student account (both local)."""

    __tablename__ = "guardian_links"
    __table_args__ = (UniqueConstraint("parent_id", "student_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    parent_id: int = Field(sa_column=fk_column("actors.id"))
    student_id: int = Field(sa_column=fk_column("actors.id"))
    created_by_id: int | None = Field(default=None, sa_column=fk_column("actors.id", nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class Invite(SQLModel, table=True):
    """An invite link that carries a role (and, for a parent, the child it links to)."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, sa_column=id_column())
    code_hash: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(max_length=16)
    created_by_id: int = Field(sa_column=fk_column("actors.id"))
    # A parent invite links the new account to this student when redeemed.
    student_id: int | None = Field(default=None, sa_column=fk_column("actors.id", nullable=True))
    max_uses: int = 1
    uses: int = 0
    expires_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    revoked: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class ActorModeration(SQLModel, table=True):
    """What moderators decided about an actor (local or remote), as it stands now.

    ``limited``: silenced (hidden from public timelines and from people who do
    not follow it); ``sensitized``: its media always behind a warning;
    ``suspended_at``: sign-in refused, content hidden; for a local account
    ``delete_after`` is when the federated ``Delete`` goes out (the grace
    period in which an admin may still lift the suspension).
    """

    __tablename__ = "actor_moderation"

    __table_args__ = (UniqueConstraint("actor_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id", index=False))
    limited: bool = False
    sensitized: bool = False
    suspended_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    delete_after: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    deleted_federated_at: datetime | None = Field(
        default=None, sa_column=time_column(nullable=True)
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class ModerationAction(SQLModel, table=True):
    """The audit log: every moderator action, with its reason. Never edited."""

    __tablename__ = "moderation_actions"

    id: int | None = Field(default=None, sa_column=id_column())
    moderator_id: int | None = Field(default=None, sa_column=fk_column("actors.id", nullable=True))
    action: str = Field(max_length=32, index=True)
    target_actor_id: int | None = Field(
        default=None, sa_column=fk_column("actors.id", nullable=True)
    )
    target_domain: str | None = Field(default=None, max_length=255)
    object_ap_id: str | None = Field(default=None, max_length=2048)
    report_id: int | None = Field(default=None, sa_column=fk_column("reports.id", nullable=True))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(index=True))


class DomainSeverity(StrEnum):
    NOOP = "noop"
    SILENCE = "silence"
    SUSPEND = "suspend"


class DomainPolicy(SQLModel, table=True):
    """A domain block (Mastodon's severities) or, with ``allowed``, an allowlist entry."""

    __tablename__ = "domain_policies"

    id: int | None = Field(default=None, sa_column=id_column())
    domain: str = Field(max_length=255, unique=True, index=True)
    severity: str = Field(default=DomainSeverity.NOOP, max_length=16)
    reject_media: bool = False
    reject_reports: bool = False
    obfuscate: bool = False
    # An entry of the allowlist (allowlist mode federates only with these).
    allowed: bool = False
    public_comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    private_comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class Filter(SQLModel, table=True):
    """A Mastodon v2 filter of one local account: keywords hidden or warned about."""

    __tablename__ = "filters"

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    title: str = Field(max_length=255)
    contexts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    action: str = Field(default="warn", max_length=8)
    expires_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class FilterKeyword(SQLModel, table=True):
    __tablename__ = "filter_keywords"

    id: int | None = Field(default=None, sa_column=id_column())
    filter_id: int = Field(sa_column=fk_column("filters.id"))
    keyword: str = Field(max_length=255)
    whole_word: bool = True
