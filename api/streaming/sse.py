"""The server-sent-events streams (``/api/v1/streaming/user`` ...) and the health check.

One stream per response, named by the path (and ``tag`` for hashtags), as
Mastodon serves them to clients without WebSockets (Mastodon.py's
``stream_user`` among them)::

    event: update
    data: {...status...}

Comment lines (``:thump``) keep idle connections open through proxies. The
response ends when the client goes away, or when its token is revoked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from api.auth import require_user
from api.errors import ApiError
from api.routing import api_routes
from api.streaming.hub import StreamHub
from api.streaming.streams import StreamError, Subscriber, Subscription, scopes_for, subscription

HEARTBEAT_SECONDS = 15.0


class EventStream(Response):
    """A ``text/event-stream`` response fed by one hub subscriber."""

    media_type = "text/event-stream"

    def __init__(self, hub: StreamHub, subscriber: Subscriber) -> None:
        # Like StreamingResponse: no body, hence no Content-Length.
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self.hub = hub
        self.subscriber = subscriber

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.hub.add(self.subscriber)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._chunk(send, ":)\n")
            pump = asyncio.create_task(self._pump(send))
            gone = asyncio.create_task(_disconnected(receive))
            try:
                await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (pump, gone):
                    task.cancel()
                await asyncio.gather(pump, gone, return_exceptions=True)
            if pump.done() and not pump.cancelled() and pump.exception() is None:
                with contextlib.suppress(OSError):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.hub.remove(self.subscriber)

    @staticmethod
    async def _chunk(send: Send, text: str) -> None:
        await send({"type": "http.response.body", "body": text.encode(), "more_body": True})

    async def _pump(self, send: Send) -> None:
        """Frames as events, a heartbeat when idle; returns when the subscriber is closed."""
        while True:
            try:
                frame = await asyncio.wait_for(self.subscriber.queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await self._chunk(send, ":thump\n")
                continue
            if frame is None:
                return
            await self._chunk(send, f"event: {frame.event}\ndata: {frame.payload}\n\n")


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _open(request: Request, stream: str) -> Response:
    sub: Subscription
    try:
        params = request.query_params
        sub = subscription(stream, params.get("tag"), params.get("list"))
    except StreamError as error:
        raise ApiError(error.status, error.message) from None
    user = await require_user(request, *scopes_for(sub.stream))
    principal = user.principal
    assert user.actor.id is not None
    subscriber = Subscriber(
        principal.token_id, user.actor.id, principal.allows("read:notifications")
    )
    subscriber.subscriptions.add(sub)
    hub: StreamHub = request.app.state.streams
    return EventStream(hub, subscriber)


def _stream(name: str, media_name: str | None = None) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        only_media = request.query_params.get("only_media", "").lower() in {"true", "1"}
        return await _open(request, media_name if only_media and media_name else name)

    endpoint.__name__ = f"stream_{name.replace(':', '_')}"
    return endpoint


async def health(_request: Request) -> Response:
    return PlainTextResponse("OK")


routes = api_routes(
    ("/api/v1/streaming/health", health, ["GET"]),
    ("/api/v1/streaming/user", _stream("user"), ["GET"]),
    ("/api/v1/streaming/user/notification", _stream("user:notification"), ["GET"]),
    ("/api/v1/streaming/public", _stream("public", "public:media"), ["GET"]),
    ("/api/v1/streaming/public/local", _stream("public:local", "public:local:media"), ["GET"]),
    ("/api/v1/streaming/public/remote", _stream("public:remote", "public:remote:media"), ["GET"]),
    ("/api/v1/streaming/hashtag", _stream("hashtag"), ["GET"]),
    ("/api/v1/streaming/hashtag/local", _stream("hashtag:local"), ["GET"]),
    ("/api/v1/streaming/list", _stream("list"), ["GET"]),
    ("/api/v1/streaming/direct", _stream("direct"), ["GET"]),
)
