"""Loopback servers for the outgoing HTTP client's tests, and a client to drive them.

The servers do not implement HTTP: a handler reads requests with
:meth:`Peer.read_request` and writes the exact bytes a test gives it, whole or
in pieces, so every test controls the wire. Servers run in the loop of the
scenario (asyncio's or uvloop, see the ``run`` fixture in
``tests/federation/conftest.py``) and count what they see: connections,
requests, and connections the client hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from federation.guarded_transport import GuardedTransport
from federation.http1 import Http1Connection
from federation.pool import PoolLimits
from federation.ssrf import AddressPredicate, Resolver, is_forbidden_address

Run = Callable[[Coroutine[Any, Any, None]], None]


@dataclass
class Request:
    """A request as the server read it off the wire."""

    connection: int  # the server's connection number, from 1
    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    body: bytes


class Peer:
    """The server's side of one connection."""

    def __init__(
        self,
        server: Server,
        number: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.number = number
        self.reader = reader
        self.writer = writer
        self._hung_up = False

    async def read_request(self) -> Request | None:
        """The next request, or None when the client closed the connection."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            self._hangup()
            return None
        request_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ")
        headers: dict[str, str] = {}
        for line in lines:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = bytearray()
            while size := int((await self.reader.readuntil(b"\r\n"))[:-2], 16):
                body += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
            await self.reader.readexactly(2)
        else:
            body = bytearray(await self.reader.readexactly(int(headers.get("content-length", 0))))
        request = Request(self.number, method, target, headers, bytes(body))
        self.server.requests.append(request)
        return request

    async def send(self, *pieces: bytes) -> None:
        """Write each piece separately, pausing between them so they arrive apart."""
        for i, piece in enumerate(pieces):
            if i:
                await asyncio.sleep(0.001)
            self.writer.write(piece)
            await self.writer.drain()

    async def until_hangup(self) -> bytes:
        """Wait for the client to close the connection; what it sent meanwhile."""
        data = bytearray()
        with contextlib.suppress(ConnectionError):
            while chunk := await self.reader.read(65536):
                data += chunk
        self._hangup()
        return bytes(data)

    def _hangup(self) -> None:
        if not self._hung_up:
            self._hung_up = True
            self.server.hangups += 1


Handler = Callable[[Peer], Awaitable[None]]


class Server:
    """A loopback server calling ``handler`` per connection; closes the connection after."""

    def __init__(
        self,
        handler: Handler,
        ssl_context: ssl.SSLContext | None = None,
        *,
        receive_buffer: int | None = None,
    ) -> None:
        self.handler = handler
        self.ssl_context = ssl_context
        self.receive_buffer = receive_buffer  # a small SO_RCVBUF makes the client's writes block
        self.connections = 0
        self.hangups = 0
        self.requests: list[Request] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Server:
        sock = socket.socket()
        if self.receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        sock.bind(("127.0.0.1", 0))
        self._server = await asyncio.start_server(self._serve, sock=sock, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        self.connections += 1
        peer = Peer(self, self.connections, reader, writer)
        try:
            await self.handler(peer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            pass  # the server is shutting down: end quietly (asyncio logs a cancelled handler)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    async def finished(self) -> None:
        """Wait until every handler so far has returned."""
        await asyncio.gather(*list(self.tasks), return_exceptions=True)


#: In a response given to :func:`answering`: close the connection here.
HANG_UP = b""


def answering(*responses: bytes | Sequence[bytes]) -> Handler:
    """Answer each request, on whichever connection, with the next response.

    A response given as a sequence is written piece by piece; an empty piece
    (:data:`HANG_UP`) closes the connection there. A request past the last
    response gets its connection closed unanswered. Otherwise the connection
    stays open until the client closes it.
    """
    script = list(responses)

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            if not script:
                return
            response = script.pop(0)
            pieces = [response] if isinstance(response, bytes) else list(response)
            if HANG_UP in pieces:
                await peer.send(*pieces[: pieces.index(HANG_UP)])
                return
            await peer.send(*pieces)

    return handler


def response(
    status: int = 200, body: bytes = b"", *headers: str, reason: str = "OK", length: bool = True
) -> bytes:
    """A response with a Content-Length (unless ``length`` is false) and the given header lines."""
    lines = [f"HTTP/1.1 {status} {reason}", *headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def fixed_resolver(table: dict[str, list[str]]) -> Resolver:
    """A resolver seam answering from ``table``; any other name does not resolve."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        return list(table[host])

    return resolve


def guarded(
    *,
    allow_private_addresses: bool = True,
    resolver: Resolver | None = None,
    is_forbidden: AddressPredicate = is_forbidden_address,
    ssl_context: ssl.SSLContext | None = None,
    limits: PoolLimits | None = None,
) -> GuardedTransport:
    """A transport for loopback tests: private addresses allowed, names only from ``resolver``."""
    return GuardedTransport(
        allow_private_addresses=allow_private_addresses,
        resolver=resolver or fixed_resolver({}),
        is_forbidden=is_forbidden,
        ssl_context=ssl_context,
        limits=limits,
    )


def client(transport: GuardedTransport | None = None, timeout: float = 2.0) -> httpx.AsyncClient:
    """An httpx client on ``transport`` (default: private addresses allowed)."""
    return httpx.AsyncClient(transport=transport or guarded(), timeout=timeout, trust_env=False)


def pooled(transport: GuardedTransport) -> list[Http1Connection]:
    """The idle connections in the pool (a look inside, for tests only)."""
    return [connection for idle in transport._pool._idle.values() for connection in idle]


async def wait_until(predicate: Callable[[], object], within: float = 2.0) -> bool:
    """Poll ``predicate`` until it is true or ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.002)
    return bool(predicate())


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
