"""Request body limits, enforced while reading so an oversized body is never buffered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from federation.errors import FederationError


class BodyTooLargeError(FederationError):
    status = 413


async def read_limited(
    headers: Mapping[str, str], stream: AsyncIterator[bytes], limit: int
) -> bytes:
    """Read a request body of at most ``limit`` bytes, refusing early when possible."""
    declared = headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BodyTooLargeError(f"body exceeds the limit of {limit} bytes")
        except ValueError:
            raise FederationError("invalid Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
