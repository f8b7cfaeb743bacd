"""The SSRF guard at connect time: an httpx transport that connects only to public IPs.

Checking a URL's host before the request is not enough: the name is resolved
again when httpcore connects, and a hostile DNS server can answer with a
public address for the check and a private one for the connect (rebinding).
So the network backend under httpx resolves the host itself, refuses the
connection if *any* address is non-public, and then connects to a validated
IP. TLS still verifies the certificate against the URL's host name: httpcore
passes the origin host as ``server_hostname`` to ``start_tls``, whatever
address the TCP stream went to.

The connection itself is made by :class:`federation.asyncio_backend.AsyncIOBackend`
(asyncio transports directly, not httpcore's AnyIO backend: much less CPU per
request in a fan-out).
"""

from __future__ import annotations

import asyncio
import errno
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from federation.asyncio_backend import AsyncIOBackend
from federation.errors import FetchError, UnsafeURLError
from federation.ssrf import AddressPredicate, Resolver, resolve_checked


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, judges, then connects by IP.

    The TCP connection to a validated address (and TLS over it) is made by
    :class:`~federation.asyncio_backend.AsyncIOBackend`.
    """

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
        self._inner = AsyncIOBackend()

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
                refused = refused or is_refused(exc)
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


def is_refused(exc: BaseException) -> bool:
    """Was the connection refused, anywhere in the exception's chain or group?

    "Refused" is worth telling apart in a reason we log: it means the host is
    up and nothing listens, not that the network failed.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        if isinstance(seen, OSError) and seen.errno == errno.ECONNREFUSED:
            return True
        if isinstance(seen, BaseExceptionGroup):
            return any(is_refused(inner) for inner in seen.exceptions)
        seen = seen.__cause__ or seen.__context__
    return False


def guarded_transport(
    *,
    allow_private_addresses: bool,
    resolver: Resolver,
    is_forbidden: AddressPredicate,
    ssl_context: ssl.SSLContext | None,
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connection pool uses :class:`GuardedBackend`.

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
    backend = GuardedBackend(
        allow_private_addresses=allow_private_addresses,
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
