"""The streaming API: WebSocket and server-sent events, fed by event rows from any process.

How an event travels: a cause (a post stored, a like received ...) writes a
:class:`storage.models.StreamEvent` row in its own transaction
(:mod:`storage.stream_capture`, :mod:`content.notifications`); the
:class:`~api.streaming.hub.StreamHub` of every serving process polls those
rows and queues frames, rendered per viewer (:mod:`api.streaming.fanout`), on
its connections (:mod:`api.streaming.websocket`, :mod:`api.streaming.sse`).

The composition root makes one hub per process, keeps it at
``app.state.streams`` and runs :meth:`StreamHub.run` beside the app.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, WebSocketRoute

from api.streaming import sse
from api.streaming.hub import StreamHub
from api.streaming.websocket import websocket_stream

__all__ = ["StreamHub", "routes"]

routes: list[BaseRoute] = [
    WebSocketRoute("/api/v1/streaming", websocket_stream),
    WebSocketRoute("/api/v1/streaming/", websocket_stream),
    *sse.routes,
]
