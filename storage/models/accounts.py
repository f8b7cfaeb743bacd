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
    account_id: int = Field(sa_column=fk_column("accounts.id"))
    token_hash: str = Field(max_length=64, unique=True, index=True)
    scopes: str = Field(default="read", max_length=1024)
    description: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    revoked_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
