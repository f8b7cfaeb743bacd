"""Every path answers with or without a trailing slash, as Mastodon's router does.

Starlette answers ``/oauth/token/`` with a 307 to ``/oauth/token``; clients
that build URLs by joining strings send the slash, and some do not follow a
redirect for a POST (nor may a CORS preflight). :func:`api.routing.api_route`
registered API paths twice; this layer covers every route (OAuth, web pages,
ActivityPub collections, media) by routing ``/x/`` as ``/x``. Only the
routing path changes: ``raw_path``, which HTTP signatures cover, stays as sent.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class TrailingSlashMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = {**scope, "path": path.rstrip("/") or "/"}
        await self.app(scope, receive, send)
