"""A browser's signed-in session on the node's pages, so a person can see and end each one.

The session cookie (``web/cookies.py``) is signed and names this row by a
random key; only the key's SHA-256 is stored, as ``id``. Deleting the row
ends the session at once (sign out, "end this session" in the settings,
a password change ending the others). Rows older than the cookie's lifetime
are worthless and pruned when the account next signs in.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import fk_column, time_column, utcnow


class WebSession(SQLModel, table=True):
    __tablename__ = "web_sessions"

    id: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(sa_column=fk_column("accounts.id"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    # What the browser said it was, to tell sessions apart in the list.
    user_agent: str = Field(default="", max_length=255)
    ip: str = Field(default="", max_length=64)
