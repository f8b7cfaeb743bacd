"""An httpcore network backend built directly on asyncio transports and protocols.

httpcore's default async backend goes through AnyIO, which costs a lot of
CPU per request in a fan-out of many small POSTs: a happy-eyeballs task
group per connect, a cancel scope around every read and write, and typed
attribute lookups plus a ``poll()`` per pooled connection every time the
pool asks ``get_extra_info("is_readable")``. This backend does the same job
with a small :class:`asyncio.Protocol`:

* received bytes wait in a queue of chunks (reading pauses above a high-water
  mark, so a server cannot make us buffer a body nobody reads);
* a read or a blocked write waits on one future; a timeout is a
  ``loop.call_later`` on that future, not a task or a cancel scope;
* whether an idle connection is readable (peer closed, or sent bytes nobody
  asked for) is known from the protocol's state, without a system call.

It behaves like httpcore's own backends: timeouts raise
:class:`httpcore.ConnectTimeout`, :class:`~httpcore.ReadTimeout` or
:class:`~httpcore.WriteTimeout`; OS errors raise
:class:`~httpcore.ConnectError`, :class:`~httpcore.ReadError` or
:class:`~httpcore.WriteError` with the original exception as ``__cause__``;
``read`` returns ``b""`` at end of stream. TCP_NODELAY is on (both asyncio
and uvloop set it on TCP transports). It runs on asyncio's own loop and on
uvloop.

The backend connects where it is told: resolving and judging addresses is
the caller's job (:class:`federation.guarded_transport.GuardedBackend`).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Iterable
from typing import Any, Literal, cast

import httpcore

#: Reading pauses when this many received bytes wait unread, and resumes when
#: a read brings them down to ``_READ_LOW_WATER``.
_READ_HIGH_WATER = 256 * 1024
_READ_LOW_WATER = 64 * 1024

#: The limit we give asyncio's own TLS handshake timer when httpcore sets
#: none (asyncio's default, 60 s, would cut a handshake httpcore lets run).
#: With a timeout, asyncio's timer is set a second later than ours, so that
#: ours fires first and the error is a ConnectTimeout.
_UNLIMITED_HANDSHAKE = 24 * 3600.0


def _wake(waiter: asyncio.Future[bool] | None, value: bool) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(value)


class _StreamProtocol(asyncio.Protocol):
    """Buffers what arrives and tells a waiting reader or writer when to go on.

    A waiter's result is True when woken by the connection and False when
    its timeout ran out.
    """

    __slots__ = (
        "buffered",
        "chunks",
        "drain_waiter",
        "eof",
        "error",
        "lost",
        "read_paused",
        "read_waiter",
        "transport",
        "write_paused",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False  # the peer finished sending, or the connection is gone
        self.lost = False  # connection_lost was called
        self.error: BaseException | None = None  # why it was lost, if not cleanly
        self.read_paused = False
        self.write_paused = False
        self.read_waiter: asyncio.Future[bool] | None = None
        self.drain_waiter: asyncio.Future[bool] | None = None

    # -- asyncio callbacks ---------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports quack like asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _READ_HIGH_WATER and not self.read_paused:
            assert self.transport is not None
            self.read_paused = True
            self.transport.pause_reading()
        _wake(self.read_waiter, True)

    def eof_received(self) -> None:
        # Returning None lets the transport close itself: HTTP/1.1 has no use
        # for a half-closed connection.
        self.eof = True
        _wake(self.read_waiter, True)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = self.eof = True
        self.error = exc
        _wake(self.read_waiter, True)
        _wake(self.drain_waiter, True)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        _wake(self.drain_waiter, True)

    # -- used by the stream --------------------------------------------------

    def take(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` buffered bytes (there is at least one chunk)."""
        chunks = self.chunks
        first = chunks[0]
        size = len(first)
        if size >= max_bytes:
            if size == max_bytes:
                chunks.popleft()
                data = first
            else:
                data = first[:max_bytes]
                chunks[0] = first[max_bytes:]
        elif len(chunks) == 1:
            chunks.clear()
            data = first
        else:
            parts = [chunks.popleft()]
            room = max_bytes - size
            while chunks and room > 0:
                chunk = chunks[0]
                if len(chunk) <= room:
                    parts.append(chunks.popleft())
                    room -= len(chunk)
                else:
                    parts.append(chunk[:room])
                    chunks[0] = chunk[room:]
                    room = 0
            data = b"".join(parts)
        self.buffered -= len(data)
        if self.read_paused and self.buffered <= _READ_LOW_WATER:
            self.read_paused = False
            if self.transport is not None and not self.lost:
                self.transport.resume_reading()
        return data


async def _woken_by(
    protocol: _StreamProtocol, slot: Literal["read_waiter", "drain_waiter"], deadline: float | None
) -> bool:
    """Park in ``protocol``'s ``slot`` until it wakes us (True) or ``deadline`` passes (False)."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[bool] = loop.create_future()
    setattr(protocol, slot, waiter)
    timer = None if deadline is None else loop.call_at(deadline, _wake, waiter, False)
    try:
        return await waiter
    finally:
        setattr(protocol, slot, None)
        if timer is not None:
            timer.cancel()


class AsyncIOStream(httpcore.AsyncNetworkStream):
    """One connection (plain TCP, or TLS over it) as httpcore wants it."""

    __slots__ = ("_closed", "_protocol", "_tcp", "_transport")

    def __init__(
        self,
        transport: asyncio.Transport,
        protocol: _StreamProtocol,
        tcp: asyncio.Transport | None = None,
    ) -> None:
        self._transport = transport  # what we read and write (TLS if upgraded)
        self._tcp = tcp or transport  # the TCP connection underneath
        self._protocol = protocol
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        protocol = self._protocol
        if self._closed:
            raise httpcore.ReadError("the connection is closed")
        while not protocol.chunks:
            if protocol.eof:
                if protocol.error is not None:
                    raise httpcore.ReadError(str(protocol.error)) from protocol.error
                return b""
            if protocol.read_waiter is not None:
                raise RuntimeError("another read is already waiting on this connection")
            loop = asyncio.get_running_loop()
            deadline = None if timeout is None else loop.time() + timeout
            if not await _woken_by(protocol, "read_waiter", deadline):
                raise httpcore.ReadTimeout("timed out waiting to read")
            if self._closed:
                raise httpcore.ReadError("the connection is closed")
        return protocol.take(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        protocol = self._protocol
        if self._closed:
            raise httpcore.WriteError("the connection is closed")
        if protocol.lost or self._transport.is_closing():
            raise httpcore.WriteError("the connection was closed") from protocol.error
        try:
            self._transport.write(buffer)
        except (OSError, RuntimeError) as exc:
            raise httpcore.WriteError(str(exc)) from exc
        if protocol.write_paused or self._tcp.is_closing():
            await self._drain(timeout)

    async def _drain(self, timeout: float | None) -> None:  # noqa: ASYNC109
        protocol = self._protocol
        if self._tcp.is_closing() and not protocol.lost:
            # A failed send closes the transport at once and reports the
            # error to the protocol on the next turn of the loop.
            await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while protocol.write_paused and not protocol.lost and not self._tcp.is_closing():
            if not await _woken_by(protocol, "drain_waiter", deadline):
                raise httpcore.WriteTimeout("timed out waiting to write")
        if protocol.lost or self._tcp.is_closing():
            error = protocol.error
            raise httpcore.WriteError(str(error or "the connection was closed")) from error

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Closing the TCP connection directly also ends TLS without waiting
        # for the peer's close_notify, as httpcore's own backends do. Pending
        # writes are still flushed before the socket closes.
        self._tcp.close()
        # The transport closes its socket on the next turn of the loop (at
        # once when nothing is left to send): let that happen before we
        # return, so that the connection is gone when aclose() is done.
        await asyncio.sleep(0)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        handshake_limit = _UNLIMITED_HANDSHAKE if timeout is None else timeout + 1.0
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                    ssl_handshake_timeout=handshake_limit,
                )
        except BaseException as exc:
            await self.aclose()
            if isinstance(exc, TimeoutError):
                raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
            if isinstance(exc, OSError):
                raise httpcore.ConnectError(str(exc)) from exc
            raise
        if transport is None or self._protocol.lost:
            await self.aclose()
            raise httpcore.ConnectError("connection closed during the TLS handshake")
        self._protocol.transport = transport
        self._protocol.read_paused = False  # start_tls resumed reading
        # From here on the connection belongs to the TLS stream; this one is spent.
        self._closed = True
        return AsyncIOStream(transport, self._protocol, self._tcp)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks this of every idle pooled connection: True when the
            # peer closed it or sent bytes nobody asked for.
            protocol = self._protocol
            return self._closed or protocol.eof or bool(protocol.chunks)
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._tcp.get_extra_info("sockname")
        if info == "server_addr":
            return self._tcp.get_extra_info("peername")
        if info == "socket":
            return self._tcp.get_extra_info("socket")
        return None


def _stream(
    transport: asyncio.BaseTransport,
    protocol: _StreamProtocol,
    socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
) -> AsyncIOStream:
    transport = cast(asyncio.Transport, transport)
    if socket_options:
        try:
            sock = transport.get_extra_info("socket")
            for option in socket_options:
                sock.setsockopt(*option)
        except OSError as exc:
            transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
    return AsyncIOStream(transport, protocol)


class AsyncIOBackend(httpcore.AsyncNetworkBackend):
    """Connects with ``loop.create_connection``; streams are :class:`AsyncIOStream`."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        protocol = _StreamProtocol()
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await loop.create_connection(
                    lambda: protocol,
                    host,
                    port,
                    local_addr=None if local_address is None else (local_address, 0),
                )
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            raise httpcore.ConnectTimeout(f"connecting to {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _stream(transport, protocol, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        protocol = _StreamProtocol()
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await loop.create_unix_connection(lambda: protocol, path)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {path} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _stream(transport, protocol, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
