"""Access and refresh tokens for OAuth apps: issue, exchange, refresh, revoke, look up.

Tokens are the same ``access_tokens`` rows ``staffroom users token`` makes,
plus the app they were issued to and, for user tokens, a refresh token. Like
Mastodon's, access tokens do not expire (apps such as Tusky never refresh
them); a refresh grant *rotates*: the old pair is revoked and a new pair
issued, so a stolen refresh token works at most once. Client-credentials
tokens act for no account and get no refresh token (RFC 6749 §4.4.3).

Revoking sets ``revoked_at``; everything that authenticates a token (the API,
and later the streaming connections) checks it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.oauth import scopes as scope_rules
from actors.oauth.codes import attach_token, redeem_code
from actors.oauth.errors import OAuthError, invalid_grant, invalid_request, invalid_scope
from actors.tokens import hash_token
from storage.models import AccessToken, Account, Actor, OAuthApp
from storage.types import utcnow

# NodeInfo's active-user counts read last_active_at; bumping it this often is plenty.
ACTIVITY_GRANULARITY = timedelta(hours=1)


@dataclass(frozen=True)
class IssuedToken:
    row: AccessToken
    access_token: str
    refresh_token: str | None


@dataclass(frozen=True)
class TokenLookup:
    """A presented token with what it acts for; the caller judges it."""

    token: AccessToken
    account: Account | None
    actor: Actor | None

    @property
    def usable(self) -> bool:
        now = utcnow()
        if self.token.revoked_at is not None:
            return False
        if self.token.expires_at is not None and self.token.expires_at <= now:
            return False
        # A user token whose account is gone (cascade) never reaches here; an app
        # token has no account at all.
        return self.token.account_id is None or self.account is not None

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.token.scopes.split())


async def issue_token(
    session: AsyncSession,
    *,
    app: OAuthApp,
    account: Account | None,
    scopes: str,
    description: str = "",
) -> IssuedToken:
    """A new token for ``app``; with a refresh token when it acts for an account."""
    access = secrets.token_urlsafe(32)
    refresh = secrets.token_urlsafe(32) if account is not None else None
    row = AccessToken(
        account_id=None if account is None else account.id,
        app_id=app.id,
        token_hash=hash_token(access),
        refresh_token_hash=None if refresh is None else hash_token(refresh),
        scopes=scopes,
        description=description or app.name,
    )
    session.add(row)
    await session.flush()
    return IssuedToken(row, access, refresh)


async def mark_active(session: AsyncSession, account: Account) -> None:
    now = utcnow()
    if account.last_active_at is None or account.last_active_at < now - ACTIVITY_GRANULARITY:
        await session.exec(
            update(Account)
            .where(col(Account.id) == account.id)
            .values(last_active_at=now)
            .execution_options(synchronize_session=False)
        )


async def exchange_code(
    session: AsyncSession,
    app: OAuthApp,
    *,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> IssuedToken:
    row = await redeem_code(session, app, code, redirect_uri, code_verifier)
    account = await session.get(Account, row.account_id)
    if account is None or account.disabled:
        raise invalid_grant("The account that approved this code cannot sign in.")
    issued = await issue_token(session, app=app, account=account, scopes=row.scopes)
    assert issued.row.id is not None
    await attach_token(session, row, issued.row.id)
    await mark_active(session, account)
    return issued


def _narrow(requested: str | None, allowed: str) -> str:
    """The scopes to grant: ``requested`` if given and within ``allowed``, else ``allowed``."""
    if not requested or not requested.strip():
        return allowed
    try:
        parsed = scope_rules.parse(requested)
    except scope_rules.ScopeError as exc:
        raise invalid_scope(f"The requested scope is invalid: {exc}.") from None
    if not scope_rules.within(parsed, allowed.split()):
        raise invalid_scope("The requested scope exceeds what was granted to this client.")
    return scope_rules.join(parsed)


async def client_credentials(
    session: AsyncSession, app: OAuthApp, requested: str | None
) -> IssuedToken:
    """An app-only token; ``scope`` defaults to ``read`` as in Mastodon."""
    scopes = _narrow(requested or scope_rules.DEFAULT, app.scopes)
    return await issue_token(session, app=app, account=None, scopes=scopes)


async def refresh(
    session: AsyncSession, app: OAuthApp, refresh_token: str | None, requested: str | None
) -> IssuedToken:
    if not refresh_token:
        raise invalid_request("The refresh_token parameter is missing.")
    old = (
        await session.exec(
            select(AccessToken).where(AccessToken.refresh_token_hash == hash_token(refresh_token))
        )
    ).first()
    if old is None or old.app_id != app.id or old.revoked_at is not None:
        raise invalid_grant(
            "The refresh token is invalid, revoked or was issued to another client."
        )
    account = None if old.account_id is None else await session.get(Account, old.account_id)
    if account is None or account.disabled:
        raise invalid_grant("The account this token acts for cannot sign in.")
    scopes = _narrow(requested, old.scopes)
    # Conditional, like a code's redemption: of two racing refreshes one wins.
    spent = await session.exec(
        update(AccessToken)
        .where(col(AccessToken.id) == old.id, col(AccessToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise invalid_grant("The refresh token has already been used.")
    issued = await issue_token(
        session, app=app, account=account, scopes=scopes, description=old.description
    )
    await mark_active(session, account)
    return issued


async def revoke(session: AsyncSession, app: OAuthApp, token: str | None) -> None:
    """RFC 7009: revoke ``token`` (access or refresh) if ``app`` owns it.

    Unknown tokens are not an error (the client's goal is met), but a token
    of another app, or of no app, is refused: only its client may revoke it.
    """
    if not token:
        return
    digest = hash_token(token)
    row = (
        await session.exec(
            select(AccessToken).where(
                or_(
                    col(AccessToken.token_hash) == digest,
                    col(AccessToken.refresh_token_hash) == digest,
                )
            )
        )
    ).first()
    if row is None:
        return
    if row.app_id != app.id:
        raise OAuthError("unauthorized_client", "You are not authorized to revoke this token", 403)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        await session.flush()


async def lookup_token(session: AsyncSession, token: str) -> TokenLookup | None:
    """The row for a presented bearer token, with its account and actor if any."""
    if not token or len(token) > 512:
        return None
    row = (
        await session.exec(
            select(AccessToken, Account, Actor)
            .outerjoin(Account, col(AccessToken.account_id) == col(Account.id))
            .outerjoin(Actor, col(Account.actor_id) == col(Actor.id))
            .where(AccessToken.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    access, account, actor = row
    return TokenLookup(access, account, actor)
