"""Who is calling: the bearer token of an API request, and what its scopes allow.

Every API route starts with one of these::

    principal = await require_scope(request, "read:statuses")   # any valid token
    user = await require_user(request, "write:statuses")        # a token acting for someone
    user.account, user.actor                                     # ... that someone
    principal = await optional_scope(request, "read:statuses")  # public endpoint, token optional

Several scopes mean *any one of them* suffices, as in Mastodon's
``doorkeeper_authorize!`` (``require_user(request, "profile", "read:accounts")``
for ``verify_credentials``); the hierarchy (``read`` covers ``read:statuses``
...) is :mod:`actors.oauth.scopes`.

The token comes from ``Authorization: Bearer ...`` or, for clients that cannot
set headers (browser WebSockets, EventSource), the ``access_token`` query
parameter. Failures raise :class:`api.errors.ApiError` with Mastodon's exact
bodies: 401 ``The access token is invalid`` (missing, unknown, revoked or
expired token), 403 ``This action is outside the authorized scopes``, 403
``Your login is currently disabled``, and 422 ``This method requires an
authenticated user`` for an app-only token on a user endpoint. The looked-up
token is cached on ``request.state`` so several checks cost one query.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from actors.context import NodeContext
from actors.oauth import scopes as scope_rules
from actors.oauth.grants import TokenLookup, lookup_token, mark_active
from api.errors import ApiError
from storage.models import Account, Actor

INVALID_TOKEN = "The access token is invalid"  # noqa: S105 (a message, not a secret)
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
DISABLED = "Your login is currently disabled"
USER_REQUIRED = "This method requires an authenticated user"


@dataclass(frozen=True)
class Principal:
    """A valid token: the app it was issued to, its scopes and the account it acts for."""

    token_id: int
    app_id: int | None  # None for `staffroom users token` tokens
    scopes: frozenset[str]
    account: Account | None  # None for app-only (client_credentials) tokens
    actor: Actor | None

    def allows(self, *scopes: str) -> bool:
        return any(scope_rules.covers(self.scopes, scope) for scope in scopes)


@dataclass(frozen=True)
class CurrentUser:
    """A principal acting for a local account (what most routes need)."""

    account: Account
    actor: Actor
    principal: Principal


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


def _challenge(error: str, description: str) -> dict[str, str]:
    return {
        "WWW-Authenticate": (
            f'Bearer realm="Staffroom", error="{error}", error_description="{description}"'
        )
    }


def _invalid() -> ApiError:
    return ApiError(401, INVALID_TOKEN, headers=_challenge("invalid_token", INVALID_TOKEN))


async def _principal(request: Request) -> Principal | None:
    """The request's principal, None without a token; 401/403 for a bad one."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = bearer_token(request)
    if token is None:
        return None
    node: NodeContext = request.app.state.node
    async with node.sessions() as session:
        found: TokenLookup | None = await lookup_token(session, token)
        if found is None or not found.usable:
            raise _invalid()
        if found.account is not None:
            if found.account.disabled:
                raise ApiError(403, DISABLED)
            await mark_active(session, found.account)
            await session.commit()
    assert found.token.id is not None
    principal = Principal(
        token_id=found.token.id,
        app_id=found.token.app_id,
        scopes=found.scopes,
        account=found.account,
        actor=found.actor,
    )
    request.state.principal = principal
    return principal


def _check_scopes(principal: Principal, scopes: tuple[str, ...]) -> None:
    if scopes and not principal.allows(*scopes):
        raise ApiError(
            403, OUTSIDE_SCOPES, headers=_challenge("insufficient_scope", OUTSIDE_SCOPES)
        )


async def require_scope(request: Request, *scopes: str) -> Principal:
    """A valid token holding any one of ``scopes`` (none listed: any valid token)."""
    principal = await _principal(request)
    if principal is None:
        raise _invalid()
    _check_scopes(principal, scopes)
    return principal


async def require_user(request: Request, *scopes: str) -> CurrentUser:
    """Like :func:`require_scope`, and the token must act for a local account."""
    principal = await require_scope(request, *scopes)
    if principal.account is None or principal.actor is None:
        raise ApiError(422, USER_REQUIRED)
    return CurrentUser(principal.account, principal.actor, principal)


async def optional_scope(request: Request, *scopes: str) -> Principal | None:
    """For public endpoints: None without a token, but a bad token is still refused."""
    principal = await _principal(request)
    if principal is not None:
        _check_scopes(principal, scopes)
    return principal
