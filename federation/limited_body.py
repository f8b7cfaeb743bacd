"""Reading a response body within a size cap, compressed or not.

A server we fetch from chooses how much it sends. httpx would buffer a whole
body (and inflate a whole gzip bomb) before we could look at its size, so the
body is read raw while streaming and abandoned as soon as it, or its inflated
form, passes the limit. Only the encodings we can inflate with a bound are
offered (:data:`ACCEPT_ENCODING`); any other is refused rather than passed on.
"""

from __future__ import annotations

import zlib
from typing import Any

import httpx

from federation.errors import FetchError

#: Our ``Accept-Encoding``: only encodings :func:`read_capped` can inflate with a bound.
ACCEPT_ENCODING = "gzip, deflate"


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """Read the body, stopping as soon as it (or its inflated form) passes ``limit``."""
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise FetchError("response too large")
    inflater = _inflater(response.headers.get("content-encoding", ""))
    if inflater is None and isinstance(response.stream, httpx.ByteStream):
        # The transport had the whole (small) answer already, as for nearly
        # every delivery: read it in place, and the response is returned as is.
        body = response.read()
        if len(body) > limit:
            raise FetchError("response too large")
        return body
    out = bytearray()
    raw_total = 0
    async for chunk in response.aiter_raw():
        raw_total += len(chunk)
        if raw_total > limit:
            raise FetchError("response too large")
        if inflater is None:
            out += chunk
        else:
            try:
                data = chunk
                while data:
                    out += inflater.decompress(data, limit - len(out) + 1)
                    if len(out) > limit:
                        raise FetchError("response too large")
                    data = inflater.unconsumed_tail
            except zlib.error:
                raise FetchError("invalid compressed body") from None
        if len(out) > limit:
            raise FetchError("response too large")
    if inflater is not None:
        try:
            out += inflater.flush()
        except zlib.error:
            raise FetchError("invalid compressed body") from None
        if len(out) > limit:
            raise FetchError("response too large")
    return bytes(out)


def _inflater(content_encoding: str) -> Any:
    codings = [
        c.strip().lower()
        for c in content_encoding.split(",")
        if c.strip().lower() not in ("", "identity")
    ]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if len(codings) == 1 and codings[0] == "deflate":
        return zlib.decompressobj()
    raise FetchError(f"unsupported content encoding {content_encoding!r}")


def rebuild_response(response: httpx.Response, body: bytes) -> httpx.Response:
    """A closed, fully read Response carrying the (inflated, capped) body.

    Callers get an ordinary ``httpx.Response`` they can read freely, without
    the live stream (already closed) or headers describing the raw encoding.
    A response :func:`read_capped` read in place is that already.
    """
    try:
        if response.content is body:
            return response
    except httpx.ResponseNotRead:
        pass
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    extensions = {
        k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")
    }
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        extensions=extensions,
    )
