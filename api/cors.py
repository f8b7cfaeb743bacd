"""CORS for browser apps (Elk, Phanpy, ...) on the API and OAuth JSON endpoints.

Browser clients live on other origins and call the API with an
``Authorization`` header, which makes every such call preflighted. These
endpoints authenticate by bearer token, never by cookie, so answering any
origin with ``*`` exposes nothing a cookie would (credentials are not allowed
with ``*``). The login and consent pages are deliberately left out: they use
cookies and must not be readable cross-origin.

A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered
here, before routing, because the routes themselves do not accept OPTIONS.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PATHS = ("/api/", "/oauth/token", "/oauth/revoke", "/.well-known/oauth-authorization-server")
METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, Accept, Accept-Language"
EXPOSE_HEADERS = (
    "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, "
    "Idempotency-Key, Retry-After"
)
MAX_AGE = "86400"


def applies(path: str) -> bool:
    return path.startswith(PATHS)


class ApiCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(headers, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = "*"
                out["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _preflight(headers: Headers, send: Send) -> None:
        # Echo what the browser asks for (it only asks for what the app will send),
        # falling back to the headers Mastodon clients use.
        requested = headers.get("access-control-request-headers", "").strip()
        out = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", METHODS.encode()),
            (b"access-control-allow-headers", (requested or ALLOW_HEADERS).encode("latin-1")),
            (b"access-control-max-age", MAX_AGE.encode()),
            (b"vary", b"Access-Control-Request-Headers"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": out})
        await send({"type": "http.response.body", "body": b""})
