"""Authorization requests and codes: validate, issue, redeem once.

Validation follows RFC 6749 §4.1.2.1 in two stages. An unknown client or a
redirect URI that is not registered *exactly* (no prefix or pattern matching:
that is how open redirectors are built) is shown to the person and never
redirected to. Every other problem (bad scope, bad PKCE parameters, an
unsupported response type) goes back to the client's redirect URI as
``error=...&state=...``, or onto the page for out-of-band clients.

A code lives ten minutes and is good for one exchange; the first exchange
marks it used with a conditional UPDATE, so two racing exchanges cannot both
win on either database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.oauth import scopes as scope_rules
from actors.oauth.apps import OOB, app_by_client_id
from actors.oauth.errors import OAuthError, invalid_grant, invalid_request
from actors.tokens import hash_token
from storage.models import AccessToken, Account, OAuthApp, OAuthCode
from storage.types import utcnow

CODE_LIFETIME = timedelta(minutes=10)
PKCE_METHODS = ("S256", "plain")
# RFC 7636 §4.1-4.2: 43 to 128 characters of the unreserved set.
_PKCE_VALUE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


class UnsafeRedirectError(Exception):
    """The request cannot be answered at its redirect URI; show the message instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthorizationError(OAuthError):
    """A refusal to deliver to the (verified) redirect URI, with the request's state."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None):
        super().__init__(error, description)
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizationRequest:
    app: OAuthApp
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    @property
    def out_of_band(self) -> bool:
        return self.redirect_uri == OOB

    def as_params(self) -> dict[str, str]:
        """The request as query/form parameters, to carry it through login and consent."""
        params = {
            "response_type": "code",
            "client_id": self.app.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope_rules.join(self.scopes),
        }
        if self.state is not None:
            params["state"] = self.state
        if self.code_challenge is not None:
            params["code_challenge"] = self.code_challenge
            params["code_challenge_method"] = self.code_challenge_method or "plain"
        return params


async def parse_authorization_request(
    session: AsyncSession, params: Mapping[str, str]
) -> AuthorizationRequest:
    """Check an ``/oauth/authorize`` request; raise one of the two refusal kinds."""
    app = await app_by_client_id(session, params.get("client_id"))
    if app is None:
        raise UnsafeRedirectError("This application is not known to this node (unknown client_id).")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        raise UnsafeRedirectError(
            "The redirect URI is not one this application registered (redirect_uri)."
        )
    state = params.get("state")

    def refuse(error: str, description: str) -> AuthorizationError:
        return AuthorizationError(error, description, redirect_uri, state)

    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "Only response_type=code is supported.")
    try:
        requested = scope_rules.parse(params.get("scope"))
    except scope_rules.ScopeError as exc:
        raise refuse("invalid_scope", f"The requested scope is invalid: {exc}.") from None
    if not scope_rules.within(requested, app.scopes.split()):
        raise refuse("invalid_scope", "The requested scope exceeds the application's scopes.")
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge is None and method is not None:
        raise refuse("invalid_request", "code_challenge_method given without code_challenge.")
    if challenge is not None:
        method = method or "plain"  # RFC 7636 §4.3
        if method not in PKCE_METHODS:
            raise refuse("invalid_request", "code_challenge_method must be S256 or plain.")
        if not _PKCE_VALUE.match(challenge):
            raise refuse("invalid_request", "code_challenge is malformed.")
    return AuthorizationRequest(app, redirect_uri, requested, state, challenge, method)


async def issue_code(session: AsyncSession, request: AuthorizationRequest, account: Account) -> str:
    """Store a new code for ``account``'s approval of ``request``; return it in the clear."""
    assert request.app.id is not None and account.id is not None
    code = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        OAuthCode(
            code_hash=hash_token(code),
            app_id=request.app.id,
            account_id=account.id,
            redirect_uri=request.redirect_uri,
            scopes=scope_rules.join(request.scopes),
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    await session.flush()
    return code


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    if not _PKCE_VALUE.match(verifier):
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        derived = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        derived = verifier
    return hmac.compare_digest(derived, challenge)


async def _revoke_token_of(session: AsyncSession, code: OAuthCode) -> None:
    if code.token_id is None:
        return
    await session.exec(
        update(AccessToken)
        .where(col(AccessToken.id) == code.token_id, col(AccessToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def redeem_code(
    session: AsyncSession,
    app: OAuthApp,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> OAuthCode:
    """Spend ``code`` for ``app``: the row, now marked used, or :class:`OAuthError`.

    Refusals may still have written (a replayed code revokes the token it
    bought; a code presented with a wrong verifier is burnt), so the caller
    commits either way.
    """
    if not code:
        raise invalid_request("The code parameter is missing.")
    row = (
        await session.exec(select(OAuthCode).where(OAuthCode.code_hash == hash_token(code)))
    ).first()
    if row is None or row.app_id != app.id:
        raise invalid_grant("The authorization code is invalid or was issued to another client.")
    if row.used_at is not None:
        await _revoke_token_of(session, row)
        raise invalid_grant("The authorization code has already been used.")
    if row.expires_at <= utcnow():
        raise invalid_grant("The authorization code has expired.")
    if redirect_uri != row.redirect_uri:
        raise invalid_grant("The redirect_uri does not match the authorization request.")
    claimed = await session.exec(
        update(OAuthCode)
        .where(col(OAuthCode.id) == row.id, col(OAuthCode.used_at).is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise invalid_grant("The authorization code has already been used.")
    if row.code_challenge is not None:
        if not code_verifier or not pkce_matches(
            code_verifier, row.code_challenge, row.code_challenge_method or "plain"
        ):
            raise invalid_grant("The code_verifier does not match the code_challenge.")
    elif code_verifier:
        raise invalid_grant("A code_verifier was sent for a code issued without PKCE.")
    return row


async def attach_token(session: AsyncSession, code: OAuthCode, token_id: int) -> None:
    """Remember which token ``code`` bought, so a replay can revoke it."""
    await session.exec(
        update(OAuthCode)
        .where(col(OAuthCode.id) == code.id)
        .values(token_id=token_id)
        .execution_options(synchronize_session=False)
    )
