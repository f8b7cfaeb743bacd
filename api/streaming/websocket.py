"""``/api/v1/streaming`` over WebSocket: one connection, many streams.

A client names its first stream in the query (``?stream=hashtag&tag=maths``)
and adds or drops others with JSON messages, as Mastodon's streaming server
takes them::

    {"type": "subscribe", "stream": "user"}
    {"type": "unsubscribe", "stream": "hashtag", "tag": "maths"}

Each frame names the stream it belongs to::

    {"stream": ["hashtag", "maths"], "event": "update", "payload": "{...status...}"}

A bad token is refused before the upgrade (401 with Mastodon's JSON body);
a bad subscription gets an error frame ``{"error": "...", "status": 400}``
and the connection stays open. When the token is revoked (or the account
disabled) while connected, the server closes with 1008 (policy violation).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from actors.context import NodeContext
from api.auth import OUTSIDE_SCOPES
from api.errors import ApiError
from api.streaming.auth import StreamCredentials, authenticate
from api.streaming.hub import StreamHub
from api.streaming.streams import StreamError, Subscriber, scopes_for, subscription
from federation import strict_json

POLICY_VIOLATION = 1008
ANY_READ = ("read", "read:statuses", "read:notifications")


async def _deny(ws: WebSocket, error: ApiError) -> None:
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(
            JSONResponse({"error": error.message}, status_code=error.status)
        )
    else:
        await ws.close(code=POLICY_VIOLATION, reason=error.message)


async def _send_error(ws: WebSocket, error: StreamError) -> None:
    await ws.send_text(json.dumps({"error": error.message, "status": error.status}))


async def _change(
    ws: WebSocket, subscriber: Subscriber, creds: StreamCredentials, message: dict[str, Any]
) -> None:
    """Apply one subscribe/unsubscribe message (or answer why not)."""
    kind = message.get("type")
    try:
        if kind not in ("subscribe", "unsubscribe"):
            raise StreamError("Unknown message type")
        sub = subscription(
            _text(message.get("stream")), _text(message.get("tag")), _text(message.get("list"))
        )
        if kind == "unsubscribe":
            subscriber.subscriptions.discard(sub)
            return
        if not creds.allows(*scopes_for(sub.stream)):
            raise StreamError(OUTSIDE_SCOPES, 401)
        subscriber.subscriptions.add(sub)
    except StreamError as error:
        await _send_error(ws, error)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def _read(ws: WebSocket, subscriber: Subscriber, creds: StreamCredentials) -> None:
    while True:
        try:
            raw = await ws.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            return
        try:
            message = strict_json.loads(raw)
        except strict_json.JsonError:
            message = None
        if not isinstance(message, dict):
            await _send_error(ws, StreamError("Invalid JSON payload"))
            continue
        await _change(ws, subscriber, creds, message)


async def _write(ws: WebSocket, subscriber: Subscriber) -> None:
    while True:
        frame = await subscriber.queue.get()
        if frame is None:
            return
        await ws.send_text(
            json.dumps({"stream": frame.stream, "event": frame.event, "payload": frame.payload})
        )


async def websocket_stream(ws: WebSocket) -> None:
    node: NodeContext = ws.app.state.node
    hub: StreamHub = ws.app.state.streams
    try:
        creds = await authenticate(ws, node)
        if not creds.allows(*ANY_READ):
            raise ApiError(403, OUTSIDE_SCOPES)
    except ApiError as error:
        await _deny(ws, error)
        return
    await ws.accept(subprotocol=creds.subprotocol)
    subscriber = Subscriber(creds.token_id, creds.actor_id, creds.allows("read:notifications"))
    hub.add(subscriber)
    try:
        if "stream" in ws.query_params:
            first = {"type": "subscribe", **dict(ws.query_params)}
            await _change(ws, subscriber, creds, first)
        tasks = [
            asyncio.create_task(_read(ws, subscriber, creds)),
            asyncio.create_task(_write(ws, subscriber)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if subscriber.closed_reason is not None and ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError):
                await ws.close(code=POLICY_VIOLATION, reason=subscriber.closed_reason)
    finally:
        hub.remove(subscriber)
