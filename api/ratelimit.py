"""The general API rate limit, with Mastodon's headers on every API response.

Mastodon allows 300 requests per five minutes per token (per IP without one)
and tells clients where they stand in ``X-RateLimit-Limit``, ``-Remaining``
and ``-Reset`` on every answer; apps such as Tusky back off by them. The key
is a hash of the bearer token when there is one (so a school sharing one NAT
address is not one bucket), else the client IP. Buckets live in process
memory, like the login and registration limits (:mod:`actors.ratelimit`).
"""

from __future__ import annotations

import hashlib
import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from actors.ratelimit import FIVE_MINUTES, Rate, bucket_for

API_PREFIX = "/api/"
DEFAULT_LIMIT = 300
TOO_MANY = "Too many requests"


def _key(scope: Scope, headers: Headers) -> str:
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return "token:" + hashlib.sha256(authorization[7:].strip().encode()).hexdigest()[:32]
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


class ApiRateLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int = DEFAULT_LIMIT) -> None:
        self.app = app
        self.rate = Rate(limit, FIVE_MINUTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith(API_PREFIX)
            or path.startswith("/api/v1/streaming")
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope.get("method") == "OPTIONS":  # CORS preflights cost nothing
            await self.app(scope, receive, send)
            return
        bucket = bucket_for(scope["app"].state, "api", self.rate)
        decision = bucket.hit(_key(scope, headers))
        extra = decision.headers()
        if not decision.allowed:
            body = json.dumps({"error": TOO_MANY}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        *((k.lower().encode(), v.encode()) for k, v in extra.items()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    response_headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
