"""Who is streaming: the token of a WebSocket or event-stream connection.

The token may come three ways, as Mastodon accepts it: ``Authorization:
Bearer``, the ``access_token`` query parameter (browsers cannot set headers
on a WebSocket or an EventSource), or the ``Sec-WebSocket-Protocol`` header
(what Mastodon's own web app sends; the server must then echo it back as the
accepted subprotocol). Every stream needs a token acting for a local account
(Mastodon 4.2+).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from actors.context import NodeContext
from actors.oauth import scopes as scope_rules
from actors.oauth.grants import lookup_token
from api.auth import DISABLED, INVALID_TOKEN, USER_REQUIRED, bearer_token
from api.errors import ApiError


@dataclass(frozen=True)
class StreamCredentials:
    token_id: int
    actor_id: int
    scopes: frozenset[str]
    subprotocol: str | None  # the token, when it came as the WebSocket subprotocol

    def allows(self, *scopes: str) -> bool:
        return any(scope_rules.covers(self.scopes, scope) for scope in scopes)


def presented_token(conn: HTTPConnection) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo) from the header, the query or the subprotocol."""
    token = bearer_token(conn)  # type: ignore[arg-type]  # reads only headers and query
    if token is not None:
        return token, None
    offered = conn.headers.get("sec-websocket-protocol", "")
    first = offered.split(",")[0].strip()
    return (first, first) if first else (None, None)


async def authenticate(conn: HTTPConnection, node: NodeContext) -> StreamCredentials:
    """The connection's credentials; :class:`ApiError` 401/403/422 as the REST API answers."""
    token, subprotocol = presented_token(conn)
    if token is None:
        raise ApiError(401, INVALID_TOKEN)
    async with node.sessions() as session:
        found = await lookup_token(session, token)
    if found is None or not found.usable:
        raise ApiError(401, INVALID_TOKEN)
    if found.account is None or found.actor is None or found.actor.id is None:
        raise ApiError(422, USER_REQUIRED)
    if found.account.disabled:
        raise ApiError(403, DISABLED)
    assert found.token.id is not None
    return StreamCredentials(found.token.id, found.actor.id, found.scopes, subprotocol)
