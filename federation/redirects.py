"""Redirects: where one points, and which headers may follow it.

Fetches follow any redirect of a GET; a POST (a delivery) only a 307/308,
which keeps the method and the body. Credentials never cross origins.
"""

from __future__ import annotations

import httpx

from federation.errors import FetchError
from federation.http1 import ResponseHead

#: Headers that must not follow a redirect to another origin.
CROSS_ORIGIN_DROP = ("authorization", "cookie", "proxy-authorization")


def _joined(base: httpx.URL, location: str) -> httpx.URL:
    try:
        return base.join(location)
    except httpx.InvalidURL:
        raise FetchError("invalid redirect location") from None


def redirect_target(request: httpx.Request, response: httpx.Response) -> httpx.URL | None:
    """Where a redirect points, resolved against the request's URL (None if not one)."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return None
    location = response.headers.get("location")
    if location is None:
        return None
    target = _joined(request.url, location)
    if request.url.fragment and not target.fragment:
        target = target.copy_with(fragment=request.url.fragment)
    return target


def moved_to(url: str, head: ResponseHead) -> str | None:
    """Where a delivery's 307/308 points (None without a ``Location``)."""
    for name, value in head.headers:
        if name.lower() == b"location":
            return str(_joined(httpx.URL(url), value.decode("latin-1")))
    return None


def redirected_headers(request: httpx.Request, target: httpx.URL) -> list[tuple[str, str]]:
    """The headers to send again: not ``Host`` (the new URL's), and no credentials cross-origin."""
    drop = {"host", "content-length"}
    if (target.scheme, target.netloc) != (request.url.scheme, request.url.netloc):
        drop.update(CROSS_ORIGIN_DROP)
    return [(k, v) for k, v in request.headers.multi_items() if k.lower() not in drop]
