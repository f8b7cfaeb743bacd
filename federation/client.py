"""The safe outgoing HTTP client every fetch and delivery goes through.

What it guarantees, and why each matters for a server that fetches URLs
strangers give it:

* **SSRF guard at connect time.** The network backend under httpx resolves the
  host itself, refuses the connection if any address is non-public, and then
  connects to the validated IP, so a DNS answer cannot change between the
  check and the connect (rebinding). TLS still verifies the certificate against
  the URL's host name: httpcore passes the origin host as ``server_hostname``
  to ``start_tls``, whatever address the TCP stream went to.
* **Every redirect hop is checked** (scheme, credentials, literal IPs) and then
  guarded again at connect; hops are counted and capped.
* **Size and time limits.** Bodies are read while streaming and abandoned as
  soon as they pass ``max_response_bytes`` (compressed bodies are inflated with
  the same bound, so a gzip bomb stops early); connect, read and total deadlines.
* **No ambient state.** No cookies are kept, no proxy or ``.netrc`` from the
  environment is used.

Errors are :class:`~federation.errors.FetchError` (or its subclasses) with a
reason that is safe to log and show.
"""

from __future__ import annotations

import asyncio
import errno
import json
import ssl
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any

import httpcore
import httpx

from federation.errors import FetchError, UnsafeURLError
from federation.ssrf import (
    AddressPredicate,
    Resolver,
    check_url,
    is_forbidden_address,
    resolve_checked,
    system_resolver,
)

ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

#: Media types :meth:`SafeClient.get_json` accepts (parameters are ignored).
JSON_MEDIA_TYPES = frozenset(
    {
        "application/activity+json",
        "application/ld+json",
        "application/json",
        "application/jrd+json",
    }
)

# Only encodings we can inflate with a bound; servers must not send others.
_ACCEPT_ENCODING = "gzip, deflate"
# Headers that must not follow a redirect to another origin.
_CROSS_ORIGIN_DROP = ("authorization", "cookie", "proxy-authorization")


class FetchStatusError(FetchError):
    """The server answered with a status we treat as failure (for JSON fetches).

    ``http_status`` lets callers tell a deleted object (404, 410) from an outage.
    """

    def __init__(self, http_status: int) -> None:
        super().__init__(f"HTTP status {http_status}")
        self.http_status = http_status


@dataclass(frozen=True)
class ClientConfig:
    """Limits and switches of :class:`SafeClient` (part of the node's settings)."""

    allow_http: bool = False
    #: Only for tests and closed networks (several nodes on loopback).
    allow_private_addresses: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_redirects: int = 3
    max_response_bytes: int = 4 * 1024 * 1024
    user_agent: str = "Staffroom/0.1"


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, judges, then connects by IP."""

    def __init__(
        self,
        *,
        allow_private_addresses: bool,
        resolver: Resolver,
        is_forbidden: AddressPredicate,
    ) -> None:
        self._allow_private = allow_private_addresses
        self._resolver = resolver
        self._is_forbidden = is_forbidden
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(  # httpcore's interface
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve_checked(
                    host,
                    port,
                    allow_private_addresses=self._allow_private,
                    resolver=self._resolver,
                    is_forbidden=self._is_forbidden,
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None

        refused = timed_out = False
        for address in addresses:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                timed_out = True
                break
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectTimeout:
                timed_out = True
            except httpcore.ConnectError as exc:
                refused = refused or _is_refused(exc)
        if refused:
            raise FetchError("connection refused")
        if timed_out:
            raise httpcore.ConnectTimeout(f"connecting to {host} timed out")
        raise FetchError("connection failed")

    async def connect_unix_socket(  # httpcore's interface
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeURLError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _is_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        if isinstance(seen, OSError) and seen.errno == errno.ECONNREFUSED:
            return True
        if isinstance(seen, BaseExceptionGroup):
            return any(_is_refused(inner) for inner in seen.exceptions)
        seen = seen.__cause__ or seen.__context__
    return False


def _guarded_transport(
    config: ClientConfig,
    *,
    resolver: Resolver,
    is_forbidden: AddressPredicate,
    ssl_context: ssl.SSLContext | None,
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connection pool uses :class:`_GuardedBackend`.

    httpx 0.28 has no public hook for the network backend, so the pool it
    builds is replaced by an equivalent one with ours. If a future httpx stops
    keeping its pool in ``_pool``, this fails loudly instead of running
    unguarded.
    """
    context = ssl_context or httpx.create_ssl_context(trust_env=False)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False, limits=limits, retries=0)
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise RuntimeError("httpx transport internals changed: cannot install the SSRF guard")
    backend = _GuardedBackend(
        allow_private_addresses=config.allow_private_addresses,
        resolver=resolver,
        is_forbidden=is_forbidden,
    )
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        retries=0,
        network_backend=backend,
    )
    return transport


class SafeClient:
    """One pooled, guarded HTTP client; use as ``async with SafeClient(cfg) as c``.

    ``resolver``, ``is_forbidden`` and ``ssl_context`` are seams for tests (and
    for a custom CA); production passes only the config.
    """

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        resolver: Resolver | None = None,
        is_forbidden: AddressPredicate | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config or ClientConfig()
        self._is_forbidden = is_forbidden or is_forbidden_address
        transport = _guarded_transport(
            self.config,
            resolver=resolver or system_resolver,
            is_forbidden=self._is_forbidden,
            ssl_context=ssl_context,
        )
        cfg = self.config
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(
                connect=cfg.connect_timeout,
                read=cfg.read_timeout,
                write=cfg.read_timeout,
                pool=cfg.connect_timeout,
            ),
            follow_redirects=False,
            trust_env=False,
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            headers={"User-Agent": cfg.user_agent, "Accept-Encoding": _ACCEPT_ENCODING},
        )

    async def __aenter__(self) -> SafeClient:
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- public API -------------------------------------------------------

    async def get_json(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        accept: str = ACTIVITY_ACCEPT,
    ) -> dict[str, Any]:
        """GET a JSON object (an AS2 document, a JRD, NodeInfo).

        Raises :class:`FetchStatusError` for a non-2xx answer, FetchError for a
        non-JSON media type, a body over the size cap, invalid JSON or a JSON
        value that is not an object.
        """
        _final_url, data = await self.get_json_with_url(url, auth=auth, accept=accept)
        return data

    async def get_json_with_url(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        accept: str = ACTIVITY_ACCEPT,
    ) -> tuple[str, dict[str, Any]]:
        """Like :meth:`get_json`, also returning the URL after redirects.

        Origin checks need it: a document is only authoritative for ids on the
        host it was finally served from.
        """
        response, body = await self._request(
            "GET",
            url,
            headers={"Accept": accept},
            auth=auth,
            before_body=_require_json_success,
        )
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise FetchError("invalid JSON in response") from None
        if not isinstance(data, dict):
            raise FetchError("JSON response is not an object")
        return str(response.url), data

    async def get(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET anything; the status is returned, not raised; the body is capped."""
        response, body = await self._request("GET", url, headers=headers, auth=auth)
        return _rebuild(response, body)

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        auth: httpx.Auth | None = None,
        content_type: str = "application/activity+json",
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST ``body`` (a delivery); the status is returned, not raised.

        Only 307/308 redirects are followed (same method, same body, signed
        again). A 301/302/303 is returned as is: following it would turn the
        delivery into a GET whose 200 could be mistaken for success.
        """
        merged = dict(headers or {})
        merged["Content-Type"] = content_type
        response, response_body = await self._request(
            "POST", url, headers=merged, auth=auth, content=body
        )
        return _rebuild(response, response_body)

    # -- machinery --------------------------------------------------------

    async def _request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        auth: httpx.Auth | None,
        content: bytes | None = None,
        before_body: Callable[[httpx.Response], None] | None = None,
    ) -> tuple[httpx.Response, bytes]:
        try:
            async with asyncio.timeout(self.config.total_timeout):
                return await self._follow(
                    method,
                    url,
                    headers=headers,
                    auth=auth,
                    content=content,
                    before_body=before_body,
                )
        except TimeoutError:
            raise FetchError("timed out") from None
        except httpx.TimeoutException:
            raise FetchError("timed out") from None
        except httpx.HTTPError as exc:
            raise _map_http_error(exc) from None

    async def _follow(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        auth: httpx.Auth | None,
        content: bytes | None,
        before_body: Callable[[httpx.Response], None] | None,
    ) -> tuple[httpx.Response, bytes]:
        cfg = self.config
        request = self._client.build_request(
            method,
            self._check(url),
            headers=dict(headers) if headers else None,
            content=content,
        )
        hops = 0
        while True:
            self._check(request.url)
            response = await self._client.send(request, auth=auth, stream=True)
            try:
                following = response.next_request
                if following is not None and (
                    request.method in ("GET", "HEAD") or response.status_code in (307, 308)
                ):
                    hops += 1
                    if hops > cfg.max_redirects:
                        raise FetchError("too many redirects")
                    if following.url.netloc != request.url.netloc or (
                        following.url.scheme != request.url.scheme
                    ):
                        for name in _CROSS_ORIGIN_DROP:
                            following.headers.pop(name, None)
                    request = following
                    continue
                if before_body is not None:
                    before_body(response)
                body = await _read_capped(response, cfg.max_response_bytes)
                return response, body
            finally:
                await response.aclose()

    def _check(self, url: str | httpx.URL) -> httpx.URL:
        return check_url(
            url,
            allow_http=self.config.allow_http,
            allow_private_addresses=self.config.allow_private_addresses,
            is_forbidden=self._is_forbidden,
        )


def _require_json_success(response: httpx.Response) -> None:
    if not 200 <= response.status_code < 300:
        raise FetchStatusError(response.status_code)
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        raise FetchError(f"unexpected content type {media_type or '(none)'!r}")


def _map_http_error(exc: httpx.HTTPError) -> FetchError:
    if isinstance(exc, httpx.ConnectError):
        if _has_cause(exc, ssl.SSLError):
            return FetchError("TLS handshake failed")
        if _is_refused(exc):
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


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """Read the body, stopping as soon as it (or its inflated form) passes ``limit``."""
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise FetchError("response too large")
    inflater = _inflater(response.headers.get("content-encoding", ""))
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


def _rebuild(response: httpx.Response, body: bytes) -> httpx.Response:
    """A closed, fully read Response carrying the (inflated, capped) body."""
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
