"""httpx's errors as ours: one :class:`FetchError` with a reason safe to show.

The reason names the kind of failure (timed out, refused, TLS), never the
address or the library's message, which may carry internal detail.
"""

from __future__ import annotations

import ssl

import httpx

from federation.connector import is_refused
from federation.errors import FetchError, UnsafeURLError


class _AsFetchErrors:
    """Timeouts (ours or httpx's) and transport errors, as the one error callers handle.

    A class rather than a generator-based context manager: every delivery
    enters one, and this costs a fifth as much.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object
    ) -> None:
        if exc is None:
            return
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            raise FetchError("timed out") from None
        if isinstance(exc, httpx.HTTPError):
            raise map_http_error(exc) from None


_AS_FETCH_ERRORS = _AsFetchErrors()


def as_fetch_errors() -> _AsFetchErrors:
    """A context in which httpx's and asyncio's errors become :class:`FetchError`."""
    return _AS_FETCH_ERRORS


def map_http_error(exc: httpx.HTTPError) -> FetchError:
    if isinstance(exc, httpx.ConnectError):
        if _has_cause(exc, ssl.SSLError):
            return FetchError("TLS handshake failed")
        if is_refused(exc):
            return FetchError("connection refused")
        return FetchError("connection failed")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        return FetchError("HTTP protocol error")
    if isinstance(exc, httpx.DecodingError):
        return FetchError("invalid compressed body")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return UnsafeURLError("invalid URL")
    return FetchError("network error")


def _has_cause(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
