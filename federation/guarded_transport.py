"""The httpx transport under :class:`federation.client.SafeClient`: SSRF-guarded, pooled HTTP/1.1.

The SSRF guard sits at connect time (:mod:`federation.connector`): a URL's
host checked before the request could resolve elsewhere by the connect.

Requests travel over :class:`federation.http1.Http1Connection`: HTTP/1.1,
keep-alive, no pipelining, no HTTP/2 (servers in the fediverse all speak
HTTP/1.1, and a delivery is one small POST). Connections are kept and
capped by :mod:`federation.pool`.

httpx's timeouts apply as usual: ``connect`` (resolve, TCP and TLS
handshake), ``write`` (a body the peer does not take), ``read`` (each wait for
bytes of the response), ``pool`` (waiting for a free connection).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable

import httpx

from federation.connector import Connector
from federation.constants import DEFAULT_PORTS
from federation.errors import FetchError
from federation.http1 import Http1Connection, ResponseHead, encode_request
from federation.offline import NetworkDeferred, is_offline
from federation.pass_budget import PassBudget
from federation.pool import ConnectionPool, Origin, PoolLimits
from federation.ssrf import AddressPredicate, Resolver

#: :data:`federation.constants.DEFAULT_PORTS` by httpx's raw (bytes) scheme.
_DEFAULT_PORTS = {scheme.encode("ascii"): port for scheme, port in DEFAULT_PORTS.items()}
#: Requests signed in one pass of the event loop, at most: about two milliseconds
#: of RSA. Against 4, a pinned fan-out spent 4 % less CPU a delivery (fewer sends
#: deferred, each a future and a task step) and the post's own answer, served on
#: the same loop, came a few milliseconds later, within its run-to-run spread.
SIGNS_PER_PASS = 8


def default_port(scheme: bytes) -> int:
    """The port of an ``http``/``https`` URL that names none."""
    return _DEFAULT_PORTS[scheme]


class GuardedTransport(httpx.AsyncBaseTransport):
    """Resolve, judge, connect by IP; then HTTP/1.1 over a pooled connection."""

    def __init__(
        self,
        *,
        allow_private_addresses: bool,
        resolver: Resolver,
        is_forbidden: AddressPredicate,
        ssl_context: ssl.SSLContext | None,
        limits: PoolLimits | None = None,
    ) -> None:
        self._connector = Connector(
            allow_private_addresses=allow_private_addresses,
            resolver=resolver,
            is_forbidden=is_forbidden,
            ssl_context=ssl_context,
        )
        self.limits = limits or PoolLimits()
        self._pool = ConnectionPool(self.limits)
        #: Requests made when their connection is ready (a delivery's signature)
        #: are made a few per pass of the loop (:mod:`federation.pass_budget`).
        self._signing = PassBudget(SIGNS_PER_PASS)

    # -- httpx's interface -------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        if request.method == "HEAD":
            # A response to HEAD announces a body it does not send; nothing of
            # ours needs HEAD, so the parser is not taught the exception.
            raise httpx.UnsupportedProtocol("HEAD requests are not supported")
        origin: Origin = (scheme, url.host, url.port or _DEFAULT_PORTS[scheme])
        timeouts = request.extensions.get("timeout", {})
        wire = encode_request(
            request.method.encode("ascii"),
            url.raw_path,
            request.headers.raw,
            await _body(request),
        )
        connection, head = await self._round_trip(
            origin,
            wire,
            pool=timeouts.get("pool"),
            connect=timeouts.get("connect"),
            write=timeouts.get("write"),
            read=timeouts.get("read"),
            request=request,
        )
        body = connection.take_complete_body()
        if body is not None:
            # The usual case for a delivery: the whole (small) answer came with
            # its head, so the connection is free again before httpx reads it.
            self._pool.release(origin, connection)
            stream: httpx.AsyncByteStream = httpx.ByteStream(body)
        else:
            stream = _ResponseBody(self._pool, origin, connection, timeouts.get("read"))
        return httpx.Response(
            head.status,
            headers=head.headers,
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
            request=request,
        )

    async def exchange(
        self,
        origin: Origin,
        wire: Callable[[], bytes],
        *,
        deadline: float,
        connect: float,
        read: float,
        max_body: int,
    ) -> tuple[ResponseHead, bytes]:
        """One request and its whole answer, without httpx's objects: a delivery's POST.

        ``wire`` makes the request's bytes once a connection is in hand, so
        that a signature is made just before it is sent: the first of a
        fan-out's requests leaves after one signature rather than after all
        of them, and a slow connect never ages a ``Date``. Every phase is
        clipped to ``deadline`` (the loop's clock): no phase outlives the
        whole. An answer past ``max_body`` bytes is a :class:`FetchError` and
        its connection is dropped. A 1xx-free, complete answer frees the
        connection for the next request to this origin.
        """
        loop = asyncio.get_running_loop()
        remaining = max(0.0, deadline - loop.time())
        connect = min(connect, remaining)
        first_read = min(read, remaining)
        connection, head = await self._round_trip(
            origin, wire, pool=connect, connect=connect, write=first_read, read=first_read,
            request=None,
        )  # fmt: skip
        body = connection.take_complete_body()
        if body is not None:
            if len(body) > max_body:
                self._pool.discard(connection)
                raise FetchError("response too large")
            self._pool.release(origin, connection)
            return head, body
        received = bytearray()
        try:
            while chunk := await connection.receive(max(0.0, min(read, deadline - loop.time()))):
                received += chunk
                if len(received) > max_body:
                    raise FetchError("response too large")
        except BaseException:
            self._pool.discard(connection)
            raise
        self._pool.release(origin, connection)
        return head, bytes(received)

    async def _round_trip(
        self,
        origin: Origin,
        wire: bytes | Callable[[], bytes],
        *,
        pool: float | None,
        connect: float | None,
        write: float | None,
        read: float | None,
        request: httpx.Request | None,
    ) -> tuple[Http1Connection, ResponseHead]:
        """Take a slot and a connection (pooled, else new), send, wait for the answer's head.

        The slot stays taken on success (the pool's ``release`` gives it back
        with the connection) and is given back here on any failure.
        """
        if is_offline():
            raise NetworkDeferred(f"{origin[1]}:{origin[2]}")
        if self._pool.closed:
            raise RuntimeError("the transport is closed")
        await self._pool.take_slot(pool, request)
        connection: Http1Connection | None = None
        try:
            connection = self._pool.take_idle(origin)
            reused = connection is not None
            if connection is None:
                connection = await self._connector.connect(origin, connect)
            if not isinstance(wire, bytes):
                await self._signing.turn()
                wire = wire()
            try:
                head = await connection.send(wire, write_timeout=write, read_timeout=read)
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
                if not (reused and connection.answered_nothing):
                    raise
                # The server closed an idle connection as we sent: once more on a new one.
                connection.close()
                connection = await self._connector.connect(origin, connect)
                head = await connection.send(wire, write_timeout=write, read_timeout=read)
        except BaseException:
            self._pool.discard(connection)
            raise
        return connection, head

    async def aclose(self) -> None:
        self._pool.close()
        await asyncio.sleep(0)  # let the transports close their sockets


class _ResponseBody(httpx.AsyncByteStream):
    """The body as httpx reads it; closing it hands the connection back to the pool."""

    def __init__(
        self,
        pool: ConnectionPool,
        origin: Origin,
        connection: Http1Connection,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._connection: Http1Connection | None = connection
        self._read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise httpx.StreamClosed()
        while chunk := await connection.receive(self._read_timeout):
            yield chunk

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.release(self._origin, connection)


async def _body(request: httpx.Request) -> bytes:
    """The request body as bytes (ours are always small and in memory)."""
    body = await request.aread()
    if request.headers.get("transfer-encoding", "").lower() != "chunked":
        return body
    # httpx chose chunked because it did not know the length: one chunk, then the end.
    chunk = b"%x\r\n%b\r\n" % (len(body), body) if body else b""
    return chunk + b"0\r\n\r\n"
