"""What a person chose for the node's web pages: language, time zone, default visibility.

One row per local account, made on the first change; a missing row or a
``None`` column means "not chosen", and the pages fall back (language: the
browser's ``Accept-Language``, then the node's default; time zone: the
node's). Never federated and never shown to anyone else.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import key_column, time_column, utcnow


class AccountSettings(SQLModel, table=True):
    __tablename__ = "account_settings"

    account_id: int = Field(sa_column=key_column("accounts.id"))
    language: str | None = Field(default=None, max_length=8)
    time_zone: str | None = Field(default=None, max_length=64)
    default_visibility: str | None = Field(default=None, max_length=16)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
