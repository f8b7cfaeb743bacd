"""Bearer tokens for scripts and the client-to-server API.

Only a SHA-256 of each token is stored: the token itself is shown once.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AccessToken, Account
from storage.types import utcnow

KNOWN_SCOPES = frozenset(
    {"read", "write", "follow", "push", "profile", "admin:read", "admin:write"}
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(raw: str) -> str:
    """Validate a comma- or space-separated scope list; return it space-separated."""
    scopes = [s for s in raw.replace(",", " ").split() if s]
    if not scopes:
        raise ValueError("at least one scope is required")
    for scope in scopes:
        top = scope.split(":", 1)[0]
        if scope not in KNOWN_SCOPES and top not in {"read", "write", "admin"}:
            raise ValueError(f"unknown scope {scope!r}")
    return " ".join(dict.fromkeys(scopes))


async def issue_token(
    session: AsyncSession, account: Account, scopes: str, description: str = ""
) -> str:
    token = secrets.token_urlsafe(32)
    assert account.id is not None
    session.add(
        AccessToken(
            account_id=account.id,
            token_hash=hash_token(token),
            scopes=parse_scopes(scopes),
            description=description,
        )
    )
    await session.flush()
    return token


async def account_for_token(session: AsyncSession, token: str) -> tuple[Account, set[str]] | None:
    row = (
        await session.exec(
            select(AccessToken, Account)
            .join(Account, AccessToken.account_id == Account.id)  # type: ignore[arg-type]
            .where(AccessToken.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    access, account = row
    expired = access.expires_at is not None and access.expires_at <= utcnow()
    if access.revoked_at is not None or expired or account.disabled:
        return None
    return account, set(access.scopes.split())
