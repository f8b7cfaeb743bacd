"""Inbox endpoints: the shared inbox, each local actor's inbox, the instance actor's.

They are the hottest endpoints a node has (every post of every followed
account elsewhere arrives here, in bursts), and they need nothing of the web
stack: no session, no CORS, no API rate limit, no template. So they are served
as a bare ASGI layer in front of the Starlette app, which sees every other
request unchanged. Measured with ``bench/inbox.py``: Starlette's middleware,
routing (a linear scan over every route) and Request/Response objects were
about a fifth of the CPU of a received activity.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from actors.context import NodeContext
from actors.local import local_actor_by_name
from actors.roles import INSTANCE_ACTOR_USERNAME
from federation.errors import FederationError
from federation.signatures import key_id_of
from inbox.pipeline import receive

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SHARED = "/inbox"
_INSTANCE = "/actor/inbox"


def inbox_owner(path: str) -> str | None:
    """Whose inbox ``path`` is: "" for the shared inbox, a username, or None (not an inbox).

    One trailing slash is tolerated, as everywhere on the node (``/inbox/``).
    """
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    if path == _SHARED:
        return ""
    if path == _INSTANCE:
        return INSTANCE_ACTOR_USERNAME
    if path.startswith("/users/") and path.endswith("/inbox"):
        name = path[len("/users/") : -len("/inbox")]
        if name and "/" not in name:
            return name
    return None


class InboxEndpoints:
    """POSTs to an inbox go to the receive pipeline; everything else to ``app``."""

    def __init__(self, app: ASGIApp, node: Callable[[], NodeContext]) -> None:
        self._app = app
        self._node = node

    async def __call__(self, scope: Scope, receive_message: Receive, send: Send) -> None:
        owner = inbox_owner(scope["path"]) if scope["type"] == "http" else None
        if owner is None:
            refusal = await self._fetch_refusal(scope) if scope["type"] == "http" else None
            if refusal is not None:
                await _answer(send, refusal[0], {"error": refusal[1]})
                return
            await self._app(scope, receive_message, send)
            return
        if scope["method"] != "POST":
            if owner and owner != INSTANCE_ACTOR_USERNAME:  # C2S GET of a personal inbox
                await self._app(scope, receive_message, send)
            else:
                await _answer(send, 405, {"error": "POST activities here"}, allow=b"POST")
            return
        try:
            status, answer = await self._receive(scope, receive_message, owner)
        except FederationError as exc:
            status, answer = exc.status, {"error": exc.reason}
        except Exception:
            log.exception("receiving at %s failed", scope["path"])
            status, answer = 500, {"error": "internal error"}
        await _answer(send, status, answer)

    async def _fetch_refusal(self, scope: Scope) -> tuple[int, str] | None:
        """A fetch from a node this one does not federate with, refused up front.

        A signed request names its node (its key id): a suspended one, or in
        allowlist mode an unlisted one, gets 403 and nothing. In allowlist
        mode an unsigned request for ActivityPub JSON gets 401 (we cannot
        tell whose it is); the instance actor's own document stays open, for
        verifying its signatures.
        """
        headers = _headers(scope)
        gate = self._node().gate
        key_id = key_id_of(headers) if _signed(headers) else None
        if key_id is not None:
            reason = await gate.refusal(key_id)
            return None if reason is None else (403, reason)
        rules = await gate.rules()
        if (
            rules.allowlist_mode
            and _wants_activity_json(headers)
            and not headers.get("authorization", "").lower().startswith("bearer ")
            and scope["path"].rstrip("/") != _INSTANCE_DOCUMENT
        ):
            return 401, (
                "this node federates only with the nodes its admin lists: "
                "sign the request as one of them"
            )
        return None

    async def _receive(
        self, scope: Scope, receive_message: Receive, owner: str
    ) -> tuple[int, dict[str, Any]]:
        node = self._node()
        recipient_id: int | None = None
        if owner:
            async with node.sessions() as session:
                actor = await local_actor_by_name(session, owner)
            if actor is None and owner != INSTANCE_ACTOR_USERNAME:
                return 404, {"error": "no such actor"}
            recipient_id = actor.id if actor else None
        result = await receive(
            node,
            method="POST",
            target=_target(scope),
            headers=_headers(scope),
            stream=_body_chunks(receive_message),
            recipient_id=recipient_id,
        )
        return 202, {"id": result.activity_id, "stored": result.stored}


async def _answer(
    send: Send, status: int, answer: dict[str, Any], *, allow: bytes | None = None
) -> None:
    body = json.dumps(answer).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if allow is not None:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_INSTANCE_DOCUMENT = "/actor"


def _signed(headers: dict[str, str]) -> bool:
    return (
        "signature" in headers
        or "signature-input" in headers
        or headers.get("authorization", "")[:10].lower() == "signature "
    )


def _wants_activity_json(headers: dict[str, str]) -> bool:
    accept = headers.get("accept", "")
    return "activity+json" in accept or "ld+json" in accept


def _target(scope: Scope) -> str:
    """The request target exactly as sent: signatures cover the raw, undecoded path."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


def _headers(scope: Scope) -> dict[str, str]:
    """Lower-case names (ASGI gives them so), repeated fields joined as HTTP says."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1").strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


async def _body_chunks(receive_message: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive_message()
        if message["type"] == "http.disconnect":
            raise FederationError("the client went away", status=400)
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return
