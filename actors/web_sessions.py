"""A browser's signed-in sessions: started at sign-in, listed and ended by their owner.

The cookie (``web/cookies.py``) carries a random key, signed; the row keyed
by the key's SHA-256 must exist for the cookie to count, so ending a session
is deleting its row, effective on the next request. Rows older than
:data:`LIFETIME` are worthless (the cookie is refused by then) and are
pruned when the account next signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import WebSession
from storage.types import utcnow

LIFETIME = timedelta(hours=12)


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def start(session: AsyncSession, account_id: int, *, user_agent: str, ip: str) -> str:
    """A new session's key (for the cookie); the account's stale rows go."""
    await session.exec(
        delete(WebSession).where(
            col(WebSession.account_id) == account_id,
            col(WebSession.created_at) < utcnow() - LIFETIME,
        )
    )
    key = secrets.token_urlsafe(24)
    session.add(
        WebSession(id=key_id(key), account_id=account_id, user_agent=user_agent[:255], ip=ip[:64])
    )
    await session.flush()
    return key


async def alive(session: AsyncSession, account_id: int, key: str) -> bool:
    row = await session.get(WebSession, key_id(key))
    return row is not None and row.account_id == account_id


async def listed(session: AsyncSession, account_id: int) -> list[WebSession]:
    """The account's live sessions, newest first."""
    rows = await session.exec(
        select(WebSession)
        .where(
            col(WebSession.account_id) == account_id,
            col(WebSession.created_at) >= utcnow() - LIFETIME,
        )
        .order_by(col(WebSession.created_at).desc())
    )
    return list(rows.all())


async def end(session: AsyncSession, account_id: int, session_id: str) -> bool:
    """End one of the account's sessions by its row id; False if it is not theirs."""
    row = await session.get(WebSession, session_id)
    if row is None or row.account_id != account_id:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def end_key(session: AsyncSession, key: str) -> None:
    """Signing out: the session the cookie names is gone."""
    row = await session.get(WebSession, key_id(key))
    if row is not None:
        await session.delete(row)
        await session.flush()


async def end_all_but(session: AsyncSession, account_id: int, keep_key: str | None) -> None:
    """Every session of the account ends, but the one ``keep_key`` names (if any)."""
    query = delete(WebSession).where(col(WebSession.account_id) == account_id)
    if keep_key is not None:
        query = query.where(col(WebSession.id) != key_id(keep_key))
    await session.exec(query)
    await session.flush()
