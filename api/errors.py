"""Errors as Mastodon clients expect them: JSON ``{"error": "..."}`` with the right status.

Routes raise :class:`ApiError` (or let :mod:`api.auth` raise it); one handler
renders it. Requests for API paths that match no route, or no method of a
route, get JSON too (``404 {"error": "Record not found"}``), never an HTML or
plain-text page: apps parse every API answer as JSON. Other paths keep
Starlette's plain responses.

Register :data:`EXCEPTION_HANDLERS` on the application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

#: Paths whose every answer is JSON.
JSON_PREFIXES = ("/api/", "/oauth/token", "/oauth/revoke")

# Mastodon's own wording for the statuses a router produces.
_MESSAGES = {
    404: "Record not found",
    405: "Method not allowed",
    500: "Internal server error",
}


class ApiError(Exception):
    """A refusal with a safe public message (and optional extra headers)."""

    def __init__(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def is_json_path(path: str) -> bool:
    return path == "/api" or path.startswith(JSON_PREFIXES)


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


async def api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Router 404/405s (and any HTTPException): JSON on API paths, plain elsewhere."""
    assert isinstance(exc, HTTPException)
    if is_json_path(request.url.path):
        message = _MESSAGES.get(exc.status_code, exc.detail)
        return error_response(exc.status_code, message, exc.headers)
    if exc.status_code in {204, 304}:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


async def server_error(request: Request, _exc: Exception) -> Response:
    """An unhandled exception: still JSON for apps (Starlette logs it either way)."""
    if is_json_path(request.url.path):
        return error_response(500, _MESSAGES[500])
    return PlainTextResponse("Internal Server Error", status_code=500)


Handler = Callable[[Request, Exception], Awaitable[Response]]

EXCEPTION_HANDLERS: dict[type[Exception] | int, Handler] = {
    ApiError: api_error,
    HTTPException: http_error,
    500: server_error,
}
