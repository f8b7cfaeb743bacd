"""OAuth 2 client applications and authorization codes (the Mastodon app API).

Secrets and codes are stored only as SHA-256 hashes, like bearer tokens: a
client secret is shown once, in the registration response, and a code only
ever travels in a redirect. Both are high-entropy random strings, so a fast
hash is enough (no password hashing needed).

Code lifecycle: issued → used (``used_at`` set, once, atomically) or expired
(``expires_at`` passed, ten minutes after issue). A code presented a second
time revokes the token it was exchanged for (RFC 6749 §4.1.2), which is why
``token_id`` is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class OAuthApp(SQLModel, table=True):
    __tablename__ = "oauth_apps"

    id: int | None = Field(default=None, sa_column=id_column())
    client_id: str = Field(max_length=64, unique=True, index=True)
    client_secret_hash: str = Field(max_length=64, repr=False)
    name: str = Field(max_length=255)
    website: str | None = Field(default=None, max_length=2048)
    # Exactly as registered; an authorization request must name one of them verbatim.
    redirect_uris: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    # Space-separated, as in a token response.
    scopes: str = Field(default="read", max_length=1024)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class OAuthCode(SQLModel, table=True):
    __tablename__ = "oauth_codes"

    id: int | None = Field(default=None, sa_column=id_column())
    code_hash: str = Field(max_length=64, unique=True, index=True)
    app_id: int = Field(sa_column=fk_column("oauth_apps.id"))
    account_id: int = Field(sa_column=fk_column("accounts.id"))
    redirect_uri: str = Field(max_length=2048)
    scopes: str = Field(max_length=1024)
    # PKCE (RFC 7636): the challenge and "S256" or "plain"; both None without PKCE.
    code_challenge: str | None = Field(default=None, max_length=128)
    code_challenge_method: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    expires_at: datetime = Field(sa_column=time_column())
    used_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    # The token this code was exchanged for, revoked if the code is replayed.
    token_id: int | None = Field(
        default=None, sa_column=fk_column("access_tokens.id", nullable=True, index=False)
    )
