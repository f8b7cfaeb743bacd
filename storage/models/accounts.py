"""Local log-in accounts and their bearer tokens.

An account is the person behind a local Person actor: credentials and a role.
Tokens are stored only as SHA-256 hashes, so a leaked database grants nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"
    TEACHER = "teacher"
    STUDENT = "student"
    PARENT = "parent"


class Account(SQLModel, table=True):
    __tablename__ = "accounts"

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    role: str = Field(default=Role.TEACHER, max_length=16)
    email: str | None = Field(default=None, max_length=320)
    password_hash: str = Field(max_length=255, repr=False)
    must_change_password: bool = False
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    # Bumped when the account authenticates; NodeInfo's active-user counts read it.
    last_active_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class AccessToken(SQLModel, table=True):
    __tablename__ = "access_tokens"

    id: int | None = Field(default=None, sa_column=id_column())
    # None for an app-only token (OAuth client_credentials): it acts for no one.
    account_id: int | None = Field(default=None, sa_column=fk_column("accounts.id", nullable=True))
    token_hash: str = Field(max_length=64, unique=True, index=True)
    scopes: str = Field(default="read", max_length=1024)
    description: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    revoked_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    # The OAuth app it was issued to; None for `staffroom users token` tokens.
    app_id: int | None = Field(default=None, sa_column=fk_column("oauth_apps.id", nullable=True))
    # SHA-256 of the refresh token issued with it, if any (rotated on each use).
    refresh_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # None: valid until revoked, as Mastodon's tokens are (apps never refresh them).
    expires_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
