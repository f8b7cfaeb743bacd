"""Routes that answer with and without a trailing slash, as Mastodon's router does.

Starlette would answer ``/api/v1/instance/`` with a redirect, which some
clients do not follow for POSTs (and which breaks CORS preflights); apps send
both spellings, so each API path is registered twice instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def api_route(path: str, endpoint: Endpoint, methods: Sequence[str] = ("GET",)) -> list[Route]:
    """``path`` and ``path/`` for ``endpoint`` (HEAD comes with GET)."""
    bare = path.rstrip("/")
    return [
        Route(bare, endpoint, methods=list(methods)),
        Route(bare + "/", endpoint, methods=list(methods)),
    ]


def api_routes(*table: tuple[str, Endpoint, Sequence[str]]) -> list[Route]:
    """Many :func:`api_route` at once: ``(path, endpoint, methods)`` rows."""
    return [
        route for path, endpoint, methods in table for route in api_route(path, endpoint, methods)
    ]
