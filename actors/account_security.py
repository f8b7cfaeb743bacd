"""A person's own account security: changing the password, the apps that hold tokens.

Changing the password needs the current one (a session left open on a shared
school computer must not be enough to take the account). The session cookie
is bound to the password hash, so every session ends with the change; the
page then starts a fresh one for the person who changed it.

Authorized apps are the OAuth access tokens issued to the account, grouped
by app; revoking an app revokes all of its live tokens for this account
(its clients get 401 on their next call), never another account's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.oauth.login import MAX_PASSWORD
from actors.passwords import hash_password, verify_password
from actors.web_sessions import end_all_but
from storage.models import AccessToken, Account, OAuthApp
from storage.types import utcnow

MIN_PASSWORD = 8


class PasswordRefused(ValueError):
    """Why a new password was not set: ``wrong`` current, ``short``, ``long`` or ``mismatch``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def change_password(
    session: AsyncSession, account: Account, current: str, new: str, repeated: str
) -> None:
    """Set a new password after checking the current one; every web session ends."""
    if not current or len(current) > MAX_PASSWORD:
        raise PasswordRefused("wrong")
    if not await asyncio.to_thread(verify_password, account.password_hash, current):
        raise PasswordRefused("wrong")
    if new != repeated:
        raise PasswordRefused("mismatch")
    if len(new) < MIN_PASSWORD:
        raise PasswordRefused("short")
    if len(new) > MAX_PASSWORD:
        raise PasswordRefused("long")
    account.password_hash = await asyncio.to_thread(hash_password, new)
    account.must_change_password = False
    session.add(account)
    assert account.id is not None
    await end_all_but(session, account.id, None)
    await session.flush()


@dataclass(frozen=True)
class AuthorizedApp:
    app_id: int
    name: str
    website: str | None
    scopes: list[str]
    since: datetime
    tokens: int


def _live(account_id: int) -> list[object]:
    now = utcnow()
    return [
        col(AccessToken.account_id) == account_id,
        col(AccessToken.app_id).is_not(None),
        col(AccessToken.revoked_at).is_(None),
        (col(AccessToken.expires_at).is_(None)) | (col(AccessToken.expires_at) > now),
    ]


async def authorized_apps(session: AsyncSession, account_id: int) -> list[AuthorizedApp]:
    """The apps holding a live token for the account, first authorized first."""
    rows = await session.exec(
        select(AccessToken, OAuthApp)
        .join(OAuthApp, col(AccessToken.app_id) == col(OAuthApp.id))
        .where(*_live(account_id))  # type: ignore[arg-type]
        .order_by(col(AccessToken.created_at))
    )
    found: dict[int, AuthorizedApp] = {}
    for token, app in rows.all():
        assert app.id is not None
        seen = found.get(app.id)
        scopes = sorted(set(token.scopes.split()) | set(seen.scopes if seen else []))
        found[app.id] = AuthorizedApp(
            app.id,
            app.name,
            app.website,
            scopes,
            seen.since if seen else token.created_at,
            (seen.tokens if seen else 0) + 1,
        )
    return list(found.values())


async def revoke_app(session: AsyncSession, account_id: int, app_id: int) -> int:
    """Revoke the account's live tokens of one app; how many were revoked."""
    rows = await session.exec(
        select(AccessToken).where(
            *_live(account_id),  # type: ignore[arg-type]
            col(AccessToken.app_id) == app_id,
        )
    )
    now = utcnow()
    count = 0
    for token in rows.all():
        token.revoked_at = now
        session.add(token)
        count += 1
    await session.flush()
    return count
