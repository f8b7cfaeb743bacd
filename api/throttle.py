"""Rate limits on API routes, per client IP (see :mod:`actors.ratelimit`).

The client IP is the connection's peer address: ``staffroom serve`` does not
trust ``X-Forwarded-For``, so behind a reverse proxy every client shares the
proxy's bucket until the server is told which proxy to trust.
"""

from __future__ import annotations

from starlette.requests import Request

from actors.ratelimit import FIVE_MINUTES, Decision, Rate, bucket_for
from api.errors import ApiError

TOO_MANY = "Too many requests"


def client_ip(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def throttle(request: Request, name: str, limit: int) -> Decision:
    """Spend one of ``limit`` requests per five minutes for this client; 429 when gone."""
    bucket = bucket_for(request.app.state, name, Rate(limit, FIVE_MINUTES))
    decision = bucket.hit(client_ip(request))
    if not decision.allowed:
        raise ApiError(429, TOO_MANY, headers=decision.headers())
    return decision
