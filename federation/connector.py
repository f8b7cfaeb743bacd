"""Opening the transport's connections, with the SSRF guard at connect time.

Checking a URL's host before the request is not enough: a hostile DNS
server can answer with a public address for the check and a private one for
the connect (rebinding). So the connector resolves the host itself, refuses
the connection if *any* address is non-public, and connects to a validated
IP. TLS still verifies the certificate against the URL's host name (it is
the ``server_hostname``, whatever address the TCP connection went to). It is
apart from the transport so that the one place a socket is opened to a
stranger's host is small enough to read whole.
"""

from __future__ import annotations

import asyncio
import errno
import ssl

import httpx

from federation.errors import FetchError
from federation.http1 import Http1Connection
from federation.pool import Origin
from federation.ssrf import AddressPredicate, Resolver, check_literal, resolve_checked

#: The limit we give asyncio's own TLS handshake timer when httpx sets none
#: (asyncio's default, 60 s, would cut a handshake we let run). With a
#: timeout, asyncio's timer is set a second later than ours, so that ours
#: fires first and the error is a ConnectTimeout.
_UNLIMITED_HANDSHAKE = 24 * 3600.0

#: Hosts whose "literal address or name" verdict the connector keeps.
_LITERALS_KEPT = 4096


class Connector:
    """Resolve, judge, connect by IP (TLS checked against the host name)."""

    def __init__(
        self,
        *,
        allow_private_addresses: bool,
        resolver: Resolver,
        is_forbidden: AddressPredicate,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self._allow_private = allow_private_addresses
        self._resolver = resolver
        self._is_forbidden = is_forbidden
        self._ssl = ssl_context or httpx.create_ssl_context(trust_env=False)
        self._literals: dict[str, bool] = {}

    async def connect(self, origin: Origin, limit: float | None) -> Http1Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        deadline = None if limit is None else loop.time() + limit
        if self._is_allowed_literal(host):
            addresses = [host]  # judged, and no lookup to time out
        else:
            try:
                async with asyncio.timeout(limit):
                    resolved = await resolve_checked(
                        host,
                        port,
                        allow_private_addresses=self._allow_private,
                        resolver=self._resolver,
                        is_forbidden=self._is_forbidden,
                    )
            except TimeoutError:
                raise httpx.ConnectTimeout(f"resolving {host} timed out") from None
            addresses = [str(address) for address in resolved]

        refused = timed_out = False
        last_error: BaseException | None = None
        for address in addresses:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                timed_out = True
                break
            try:
                return await self._open(loop, scheme, host, address, port, remaining)
            except httpx.ConnectTimeout:
                timed_out = True
            except httpx.ConnectError as exc:
                if isinstance(exc.__cause__, ssl.SSLError):
                    raise  # the host answered, with the wrong certificate: no other address will do
                refused = refused or is_refused(exc)
                last_error = exc
        if refused:
            raise FetchError("connection refused")
        if timed_out:
            raise httpx.ConnectTimeout(f"connecting to {host} timed out")
        raise FetchError("connection failed") from last_error

    def _is_allowed_literal(self, host: str) -> bool:
        """:func:`check_literal`, its verdict kept per host (a fan-out connects to thousands).

        Only the verdicts that let a connection go on are kept; a refusal
        raises every time.
        """
        known = self._literals.get(host)
        if known is None:
            known = check_literal(
                host, allow_private_addresses=self._allow_private, is_forbidden=self._is_forbidden
            )
            if len(self._literals) >= _LITERALS_KEPT:
                self._literals.clear()
            self._literals[host] = known
        return known

    async def _open(
        self,
        loop: asyncio.AbstractEventLoop,
        scheme: bytes,
        host: str,
        address: str,
        port: int,
        limit: float | None,
    ) -> Http1Connection:
        connection = Http1Connection(host, loop)
        tls = scheme == b"https"
        try:
            async with asyncio.timeout(limit):
                await loop.create_connection(
                    lambda: connection,
                    address,
                    port,
                    ssl=self._ssl if tls else None,
                    server_hostname=host if tls else None,
                    ssl_handshake_timeout=(
                        None if not tls else _UNLIMITED_HANDSHAKE if limit is None else limit + 1.0
                    ),
                )
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            connection.close()
            raise httpx.ConnectTimeout(f"connecting to {host} timed out") from exc
        except OSError as exc:  # ssl.SSLError and ConnectionRefusedError are OSErrors
            connection.close()
            raise httpx.ConnectError(f"connecting to {host} failed: {exc}") from exc
        return connection


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
