"""One HTTP/1.1 client connection: an asyncio protocol that parses as bytes arrive.

Why not httpcore: a fan-out is thousands of tiny POSTs, and httpcore spends
most of a delivery's CPU on its own machinery (h11's event objects, locks
and events per request, a pool scan per request). Here the response is
parsed by llhttp (``httptools``, the C parser uvicorn serves with) inside
``data_received``; a request costs one write and, usually, one wake-up of the
task waiting for the response head, by which time the (small) body has
arrived too.

What the connection guarantees:

* **Bounded reads.** A head larger than :data:`MAX_HEAD_BYTES` is a protocol
  error; a body is handed over in chunks, and reading pauses while more than
  :data:`_READ_HIGH_WATER` bytes wait unread, so a server cannot make us
  buffer what nobody reads (the caller caps the total, see
  :mod:`federation.limited_body`).
* **No injection.** A request line or header containing CR, LF or NUL is
  refused before anything is written.
* **Reuse only when clean.** A connection goes back to the pool only when its
  response was read to the end, both sides want keep-alive, and nothing
  arrived since.

Errors are httpx's: :class:`httpx.ReadTimeout`, :class:`~httpx.WriteTimeout`,
:class:`~httpx.ReadError`, :class:`~httpx.WriteError`,
:class:`~httpx.RemoteProtocolError`, :class:`~httpx.LocalProtocolError`.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import cast

import httptools
import httpx

#: The status line and headers of a response may not be larger than this.
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 200

#: Reading pauses while this many body bytes wait unread; resumes below the low mark.
_READ_HIGH_WATER = 256 * 1024
_READ_LOW_WATER = 64 * 1024

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_HEADERS = re.compile(rb"[\r\n\x00]")
#: Header names already found to be tokens (we send a handful, over and over).
_NAMES_SEEN: set[bytes] = set()
_NAMES_KEPT = 256


def encode_request(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """The request as bytes, or LocalProtocolError for anything that could smuggle a line."""
    if not _TOKEN.fullmatch(method) or not target or _FORBIDDEN_IN_HEADERS.search(target):
        raise httpx.LocalProtocolError("invalid request line")
    if b" " in target:
        raise httpx.LocalProtocolError("invalid request target")
    lines = [method, b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        if name not in _NAMES_SEEN:
            if not _TOKEN.fullmatch(name):
                raise httpx.LocalProtocolError(f"invalid header {name[:40]!r}")
            if len(_NAMES_SEEN) < _NAMES_KEPT:
                _NAMES_SEEN.add(name)
        lines += (name, b": ", value, b"\r\n")
    head = b"".join(lines)
    # Three scans of the whole head instead of one per value: the only CRs
    # and LFs in it must be the line ends put there above, and no NUL.
    line_ends = len(headers) + 1
    if head.count(b"\r") != line_ends or head.count(b"\n") != line_ends or b"\x00" in head:
        for name, value in headers:
            if _FORBIDDEN_IN_HEADERS.search(value):
                raise httpx.LocalProtocolError(f"invalid header {name[:40]!r}")
    return head + b"\r\n" + body


class _StrayResponse(Exception):
    """Raised inside the parser when a second response starts."""


class ResponseHead:
    """The status line and headers, as the connection parsed them."""

    __slots__ = ("headers", "reason", "status")

    def __init__(self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers


def _head_size(reason: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """The size of a parsed head, were it sent with single spaces and no folding."""
    size = len(b"HTTP/1.1 200 \r\n\r\n") + len(reason)
    return size + sum(len(name) + len(value) + 4 for name, value in headers)


def _wake(waiter: asyncio.Future[bool] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(True)


def _time_out(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class Http1Connection(asyncio.Protocol):
    """A client connection for one request at a time; the pool hands it out.

    The connection is its own asyncio protocol: ``loop.create_connection``
    builds it, the parser calls back into it. The parser's callbacks only
    record what they saw; the task that sent the request is woken at most
    once per ``data_received``.
    """

    def __init__(self, host: str, loop: asyncio.AbstractEventLoop) -> None:
        self.host = host  # for messages only
        #: The loop the connection lives on (asking asyncio for it costs a system call each time).
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        # Per response:
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._head: ResponseHead | None = None
        self._body: deque[bytes] = deque()
        self._buffered = 0
        self._complete = False
        self._until_close = False
        self._keep_alive = False
        # Connection state:
        self._expecting = False  # a request was sent and its response is not complete
        self._stray = False  # bytes arrived that no request asked for
        self._error: BaseException | None = None  # a parse error, or why the connection was lost
        self._eof = False
        self._lost = False
        self._read_paused = False
        self._write_paused = False
        self._waiter: asyncio.Future[bool] | None = None
        self.idle_since = 0.0

    # -- asyncio callbacks ---------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports quack like asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if not self._expecting or self._error is not None:
            self._stray = True
            return
        if self._head is None:
            self._head_bytes += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("the server switched protocols"))
        except httptools.HttpParserError as exc:
            raised = exc.__cause__ or exc.__context__  # by one of our callbacks
            if isinstance(raised, _StrayResponse):
                self._stray = True
                self._transport().close()
            elif isinstance(raised, httpx.RemoteProtocolError):
                self._fail(raised)
            else:
                self._fail(httpx.RemoteProtocolError(f"invalid HTTP response: {exc}"))
        else:
            if self._head is None and self._head_bytes > MAX_HEAD_BYTES:
                self._fail(httpx.RemoteProtocolError("response head too large"))
            elif len(self._headers) > MAX_HEADERS:
                self._fail(httpx.RemoteProtocolError("too many response headers"))
            elif self._buffered > _READ_HIGH_WATER and not self._read_paused:
                self._read_paused = True
                self._transport().pause_reading()
        _wake(self._waiter)

    def eof_received(self) -> None:
        # Returning None lets the transport close itself: HTTP/1.1 has no use
        # for a half-closed connection.
        self._eof = True
        if self._until_close and self._head is not None:
            self._complete = True  # a body delimited by the end of the connection
        _wake(self._waiter)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = self._eof = True
        if exc is not None and self._error is None:
            self._error = exc
        elif self._until_close and self._head is not None:
            self._complete = True
        _wake(self._waiter)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        _wake(self._waiter)

    # -- parser callbacks (httptools calls these by name) ------------------------

    def on_message_begin(self) -> None:
        if self._head is not None:
            # A second response to one request: not ours to read. Raising
            # stops the parser; the connection is dropped after this response.
            raise _StrayResponse

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        # data_received enforces the limits on a head still arriving; a head
        # that ends in the same read that crosses a limit is stopped here,
        # before it counts as an answer.
        if len(self._headers) > MAX_HEADERS:
            raise httpx.RemoteProtocolError("too many response headers")
        head_bytes = self._head_bytes  # an upper bound: all of the last read, interim heads
        if head_bytes > MAX_HEAD_BYTES and _head_size(self._reason, self._headers) > MAX_HEAD_BYTES:
            raise httpx.RemoteProtocolError("response head too large")
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            # An interim response (100 Continue, 103 Early Hints): the real one
            # follows. Its bytes still count, toward the cap on the head and as
            # an answer: the server has the request, so it is not resent.
            self._reason, self._headers = b"", []
            return
        self._head = ResponseHead(status, self._reason, self._headers)
        self._keep_alive = self._parser.should_keep_alive()
        self._until_close = not any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self._headers
        ) and status not in (204, 304)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._buffered += len(body)

    def on_message_complete(self) -> None:
        if self._head is not None:
            self._complete = True
            self._until_close = False

    # -- used by the transport ---------------------------------------------------

    def _transport(self) -> asyncio.Transport:
        assert self.transport is not None
        return self.transport

    def _fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._transport().close()

    @property
    def is_reusable(self) -> bool:
        """Idle, healthy, and neither side asked to close it.

        Idle means the request went out whole, too: a server may answer
        before it has read a large body, and the rest of that body must not
        reach it as the start of the next request.
        """
        transport = self._transport()
        return (
            self._complete
            and self._keep_alive
            and not self._body
            and not (self._eof or self._stray or self._error)
            and not transport.is_closing()
            and not transport.get_write_buffer_size()
        )

    async def _wait(
        self, deadline: float | None, timeout_error: type[httpx.TimeoutException]
    ) -> None:
        loop = self.loop
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiter = waiter
        timer = None if deadline is None else loop.call_at(deadline, _time_out, waiter)
        try:
            woken = await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        if not woken:
            raise timeout_error(f"timed out talking to {self.host}")

    async def send(
        self, request: bytes, *, write_timeout: float | None, read_timeout: float | None
    ) -> ResponseHead:
        """Write one request and wait for the head of its response."""
        self._reason, self._headers, self._head_bytes = b"", [], 0
        self._head, self._complete, self._until_close = None, False, False
        self._expecting = True
        transport = self._transport()
        if self._eof or transport.is_closing():
            raise httpx.WriteError(f"the connection to {self.host} was closed")
        transport.write(request)
        loop = self.loop
        if self._write_paused:
            deadline = None if write_timeout is None else loop.time() + write_timeout
            while self._write_paused and not self._lost and self._head is None:
                await self._wait(deadline, httpx.WriteTimeout)
        deadline = None if read_timeout is None else loop.time() + read_timeout
        while self._head is None:
            self._raise_if_broken(before_head=True)
            await self._wait(deadline, httpx.ReadTimeout)
        return self._head

    async def receive(self, read_timeout: float | None) -> bytes:
        """The next piece of the body, or ``b""`` when the response is complete."""
        body = self._body
        if not body:
            loop = self.loop
            deadline = None if read_timeout is None else loop.time() + read_timeout
            while not body and not self._complete:
                self._raise_if_broken(before_head=False)
                await self._wait(deadline, httpx.ReadTimeout)
            if not body:
                self._expecting = False
                return b""
        data = body.popleft()
        self._buffered -= len(data)
        if self._read_paused and self._buffered <= _READ_LOW_WATER and not self._lost:
            self._read_paused = False
            self._transport().resume_reading()
        if self._complete and not body:
            self._expecting = False
        return data

    def take_complete_body(self) -> bytes | None:
        """The whole body, if the response is complete (then the connection is idle)."""
        if not self._complete:
            return None
        body = b"".join(self._body)
        self._body.clear()
        self._buffered = 0
        self._expecting = False
        if self._read_paused and not self._lost:
            self._read_paused = False
            self._transport().resume_reading()
        return body

    def _raise_if_broken(self, *, before_head: bool) -> None:
        error = self._error
        if isinstance(error, httpx.HTTPError):
            raise error
        if error is not None:
            raise httpx.ReadError(f"connection to {self.host} failed: {error}") from error
        if self._eof:
            if before_head:
                raise httpx.RemoteProtocolError(f"{self.host} closed the connection unanswered")
            raise httpx.RemoteProtocolError(f"{self.host} closed the connection mid-response")

    @property
    def answered_nothing(self) -> bool:
        """The connection died before any byte of a response came (safe to resend elsewhere)."""
        return self._head is None and self._head_bytes == 0

    def close(self) -> None:
        self._expecting = False
        transport = self.transport
        if transport is None:
            return
        if transport.get_write_buffer_size():
            # Unsent bytes belong to a request we gave up on (a write timeout,
            # a cancellation): a graceful close would wait for a peer that may
            # never read, keeping the socket and the bytes forever.
            transport.abort()
        else:
            # Closing the transport ends TLS without waiting for the peer's
            # close_notify.
            transport.close()
