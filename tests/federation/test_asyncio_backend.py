"""AsyncIOBackend against real loopback servers, on asyncio's loop and on uvloop.

The node runs on uvloop (``staffroom serve``/``worker``) and the test suite on
asyncio's own loop, so every test runs on both: each one is a synchronous test
that runs its scenario with ``asyncio.run`` or ``uvloop.run`` (the ``run``
fixture). The servers are asyncio servers in the same loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import socket
import ssl
import struct
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any

import httpcore
import pytest
import uvloop

from federation.asyncio_backend import AsyncIOBackend, AsyncIOStream
from federation.client import ClientConfig, SafeClient
from federation.guarded_transport import is_refused
from tests.support.tls import self_signed_contexts

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Run = Callable[[Coroutine[Any, Any, None]], None]

LOCAL = ClientConfig(allow_http=True, allow_private_addresses=True)


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run:
    """Run a scenario to completion on a fresh loop of the parametrized kind."""
    runner = asyncio.run if request.param == "asyncio" else uvloop.run

    def go(scenario: Coroutine[Any, Any, None]) -> None:
        runner(scenario)
        gc.collect()  # an unclosed transport warns here, inside this test

    return go


class Server:
    """A loopback asyncio server; every handler ends with its connection closed."""

    def __init__(
        self,
        handler: Handler,
        ssl_context: ssl.SSLContext | None = None,
        unix_path: Path | None = None,
    ) -> None:
        self.handler = handler
        self.ssl_context = ssl_context
        self.unix_path = unix_path
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    async def __aenter__(self) -> Server:
        if self.unix_path is not None:
            self._server = await asyncio.start_unix_server(self._serve, str(self.unix_path))
        else:
            self._server = await asyncio.start_server(
                self._serve, "127.0.0.1", 0, ssl=self.ssl_context
            )
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
        self.writers.append(writer)
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    async def finished(self) -> None:
        """Wait until every handler so far has returned."""
        await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def drop_connections(self) -> None:
        """Close the server's side of every connection (idle keep-alive ones included)."""
        for writer in self.writers:
            writer.close()
        await self.finished()


async def wait_until(predicate: Callable[[], object], within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.005)
    return bool(predicate())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def read_all(stream: httpcore.AsyncNetworkStream, max_bytes: int = 65536) -> bytes:
    out = bytearray()
    while chunk := await stream.read(max_bytes, timeout=5):
        out += chunk
    return bytes(out)


def causes(exc: BaseException) -> list[BaseException]:
    chain = []
    seen: BaseException | None = exc
    while seen is not None:
        chain.append(seen)
        seen = seen.__cause__
    return chain


async def echo_lines(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        writer.write(b"echo: " + line)
        await writer.drain()


# --------------------------------------------------------------------------
# plain TCP


def test_round_trip_and_connection_info(run: Run) -> None:
    async def scenario() -> None:
        async with Server(echo_lines) as server:
            stream = await AsyncIOBackend().connect_tcp(
                "127.0.0.1",
                server.port,
                timeout=5,
                socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
            )
            try:
                await stream.write(b"hello\n", timeout=5)
                assert await stream.read(1024, timeout=5) == b"echo: hello\n"
                await stream.write(b"", timeout=5)  # nothing to send is fine
                await stream.write(b"again\n", timeout=5)
                assert await stream.read(1024, timeout=5) == b"echo: again\n"

                sock = stream.get_extra_info("socket")
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
                client_addr = stream.get_extra_info("client_addr")
                assert client_addr[0] == "127.0.0.1"
                assert client_addr[1] not in (0, server.port)
                assert stream.get_extra_info("server_addr") == ("127.0.0.1", server.port)
                assert stream.get_extra_info("ssl_object") is None
                assert stream.get_extra_info("no such thing") is None
                assert stream.get_extra_info("is_readable") is False
            finally:
                await stream.aclose()
            assert server.connections == 1

    run(scenario())


def test_read_returns_empty_bytes_at_eof(run: Run) -> None:
    async def last_words(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"last ")
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.write(b"words")

    async def scenario() -> None:
        async with Server(last_words) as server:
            stream = await AsyncIOBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
            try:
                await server.finished()  # all sent and closed: "last " and "words" wait unread
                chunks = []
                while chunk := await stream.read(3, timeout=5):
                    assert len(chunk) <= 3
                    chunks.append(chunk)
                assert b"".join(chunks) == b"last words"
                assert await stream.read(3, timeout=5) == b""  # and it stays at EOF
            finally:
                await stream.aclose()

    run(scenario())


def test_read_timeout_leaves_the_stream_usable(run: Run) -> None:
    async def scenario() -> None:
        release = asyncio.Event()

        async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await release.wait()
            writer.write(b"late")
            await writer.drain()

        async with Server(late) as server:
            stream = await AsyncIOBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
            try:
                started = time.monotonic()
                with pytest.raises(httpcore.ReadTimeout):
                    await stream.read(1024, timeout=0.1)
                assert 0.09 <= time.monotonic() - started < 1.0
                release.set()
                assert await stream.read(1024, timeout=5) == b"late"
            finally:
                await stream.aclose()

    run(scenario())


def test_connect_to_a_closed_port_is_refused(run: Run) -> None:
    async def scenario() -> None:
        with pytest.raises(httpcore.ConnectError) as caught:
            await AsyncIOBackend().connect_tcp("127.0.0.1", closed_port(), timeout=5)
        assert any(isinstance(exc, ConnectionRefusedError) for exc in causes(caught.value))
        assert is_refused(caught.value)

    run(scenario())


def test_connect_timeout(run: Run) -> None:
    async def scenario() -> None:
        with socket.socket() as listener:  # the kernel completes handshakes; nobody accepts
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)
            port = listener.getsockname()[1]
            # A zero timeout expires at the connect's first wait, even on loopback.
            with pytest.raises(httpcore.ConnectTimeout):
                await AsyncIOBackend().connect_tcp("127.0.0.1", port, timeout=0)

    run(scenario())


def test_is_readable_tells_when_an_idle_connection_is_finished(run: Run) -> None:
    async def scenario() -> None:
        commands: asyncio.Queue[str] = asyncio.Queue()

        async def obey(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            command = await commands.get()
            if command == "chatter":
                writer.write(b"unsolicited")
                await writer.drain()
                await commands.get()
            # "close": return, and the connection is closed

        async with Server(obey) as server:
            backend = AsyncIOBackend()
            stream = await backend.connect_tcp("127.0.0.1", server.port, timeout=5)
            try:
                await asyncio.sleep(0.05)
                assert stream.get_extra_info("is_readable") is False  # open and quiet
                commands.put_nowait("close")
                await server.finished()
                assert await wait_until(lambda: stream.get_extra_info("is_readable"))
                assert await stream.read(1024, timeout=5) == b""
            finally:
                await stream.aclose()

            stream = await backend.connect_tcp("127.0.0.1", server.port, timeout=5)
            try:
                await asyncio.sleep(0.05)
                assert stream.get_extra_info("is_readable") is False
                commands.put_nowait("chatter")  # bytes nobody asked for, connection open
                assert await wait_until(lambda: stream.get_extra_info("is_readable"))
                assert await stream.read(1024, timeout=5) == b"unsolicited"
                assert stream.get_extra_info("is_readable") is False
                commands.put_nowait("close")
            finally:
                await stream.aclose()
            assert stream.get_extra_info("is_readable") is True  # closed: nothing to reuse

    run(scenario())


async def write_until_it_fails(stream: httpcore.AsyncNetworkStream) -> None:
    for _ in range(50):
        await stream.write(b"x" * 1024, timeout=1)
        await asyncio.sleep(0.01)


def test_write_after_peer_reset_raises_write_error(run: Run) -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # linger 0: the close sends RST

    async def scenario() -> None:
        async with Server(reset) as server:
            stream = await AsyncIOBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
            try:
                await server.finished()
                with pytest.raises(httpcore.WriteError) as caught:
                    await write_until_it_fails(stream)
                cause = caught.value.__cause__
                assert cause is None or isinstance(cause, OSError)
                with pytest.raises(httpcore.ReadError):
                    await stream.read(1024, timeout=1)
            finally:
                await stream.aclose()

    run(scenario())


def test_write_timeout_when_the_peer_does_not_read(run: Run) -> None:
    async def scenario() -> None:
        release = asyncio.Event()
        received = 0

        async def sluggish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal received
            await release.wait()
            while chunk := await reader.read(1 << 20):
                received += len(chunk)

        big = b"x" * (32 * 1024 * 1024)  # more than any socket buffers hold
        async with Server(sluggish) as server:
            stream = await AsyncIOBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
            started = time.monotonic()
            with pytest.raises(httpcore.WriteTimeout):
                await stream.write(big, timeout=0.2)
            assert time.monotonic() - started < 2
            release.set()
            await stream.aclose()  # what was accepted is still flushed
            await asyncio.wait_for(server.finished(), 10)
            assert received == len(big)

    run(scenario())


def test_flow_control_both_ways(run: Run) -> None:
    size = 4 * 1024 * 1024
    pattern = bytes(range(256)) * (size // 256)
    received = bytearray()

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(pattern)
        await writer.drain()
        while len(received) < size:
            chunk = await reader.read(1 << 20)
            if not chunk:
                break
            received.extend(chunk)

    async def scenario() -> None:
        async with Server(exchange) as server:
            stream = await AsyncIOBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
            assert isinstance(stream, AsyncIOStream)
            try:
                await asyncio.sleep(0.2)  # the server pushes; nobody reads
                assert stream._protocol.buffered < 1024 * 1024  # reading paused
                out = bytearray()
                while len(out) < size:
                    out += await stream.read(65536, timeout=5)  # reading resumes
                assert out == pattern
                await stream.write(pattern, timeout=10)  # waits while the peer drains
                await asyncio.wait_for(server.finished(), 10)
                assert received == pattern
            finally:
                await stream.aclose()

    run(scenario())


def test_closed_stream(run: Run) -> None:
    async def scenario() -> None:
        async with Server(echo_lines) as server:
            stream = await AsyncIOBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
            await stream.aclose()
            await stream.aclose()  # twice is fine
            assert stream.get_extra_info("is_readable") is True
            with pytest.raises(httpcore.ReadError):
                await stream.read(10)
            with pytest.raises(httpcore.WriteError):
                await stream.write(b"x")
            await server.finished()  # the server saw the connection end

    run(scenario())


def test_unix_socket_round_trip(run: Run, tmp_path: Path) -> None:
    async def scenario() -> None:
        path = tmp_path / "echo.sock"
        path.unlink(missing_ok=True)
        async with Server(echo_lines, unix_path=path):
            backend = AsyncIOBackend()
            stream = await backend.connect_unix_socket(str(path), timeout=5)
            try:
                await stream.write(b"unix\n", timeout=5)
                assert await stream.read(1024, timeout=5) == b"echo: unix\n"
            finally:
                await stream.aclose()
            await backend.sleep(0)

    run(scenario())


# --------------------------------------------------------------------------
# TLS


def test_tls_round_trip(run: Run, tmp_path: Path) -> None:
    server_ctx, client_ctx = self_signed_contexts(tmp_path, "localhost")

    async def one_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await reader.readline()
        writer.write(b"echo: " + line)
        await writer.drain()

    async def scenario() -> None:
        async with Server(one_line, ssl_context=server_ctx) as server:
            tcp = await AsyncIOBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
            stream = await tcp.start_tls(client_ctx, server_hostname="localhost", timeout=5)
            try:
                ssl_object = stream.get_extra_info("ssl_object")
                assert isinstance(ssl_object, ssl.SSLObject)
                assert ssl_object.server_hostname == "localhost"
                cert = ssl_object.getpeercert()
                assert cert is not None
                assert ("DNS", "localhost") in cert["subjectAltName"]
                assert stream.get_extra_info("server_addr") == ("127.0.0.1", server.port)
                assert stream.get_extra_info("is_readable") is False

                await stream.write(b"over tls\n", timeout=5)
                assert await stream.read(1024, timeout=5) == b"echo: over tls\n"
                # The server has answered and closed: the idle connection is done.
                assert await wait_until(lambda: stream.get_extra_info("is_readable"))
                assert await stream.read(1024, timeout=5) == b""
            finally:
                await stream.aclose()

    run(scenario())


def test_tls_refuses_a_certificate_for_another_host(run: Run, tmp_path: Path) -> None:
    server_ctx, client_ctx = self_signed_contexts(tmp_path, "localhost")

    async def scenario() -> None:
        async with Server(echo_lines, ssl_context=server_ctx) as server:
            for context, hostname in (
                (client_ctx, "impostor.test"),  # trusted cert, wrong name
                (ssl.create_default_context(), "localhost"),  # right name, untrusted cert
            ):
                tcp = await AsyncIOBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
                with pytest.raises(httpcore.ConnectError) as caught:
                    await tcp.start_tls(context, server_hostname=hostname, timeout=5)
                assert any(
                    isinstance(exc, ssl.SSLCertVerificationError) for exc in causes(caught.value)
                )
                assert tcp.get_extra_info("is_readable") is True  # closed by the failure

    run(scenario())


# --------------------------------------------------------------------------
# end to end: SafeClient (through GuardedBackend) on this backend


class HttpServer:
    """A keep-alive HTTP/1.1 server recording (connection number, method, path, body).

    Every answer tries to set a cookie; ``cookies`` records any a request sent back.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[int, str, str, bytes]] = []
        self.cookies: list[str] = []
        self.server = Server(self.handle)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.server.connections
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed an idle connection
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in lines:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append((number, method, path, body))
            if "cookie" in headers:
                self.cookies.append(headers["cookie"])
            payload = json.dumps({"connection": number, "method": method}).encode()
            status = "202 Accepted" if method == "POST" else "200 OK"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Set-Cookie: session=s{len(self.requests)}; Path=/\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            await writer.drain()


def test_safe_client_reuses_and_replaces_pooled_connections(run: Run) -> None:
    async def scenario() -> None:
        http = HttpServer()
        async with http.server as server, SafeClient(LOCAL) as client:
            base = f"http://127.0.0.1:{server.port}"
            got = await client.get(f"{base}/actor")
            assert got.status_code == 200
            assert got.json() == {"connection": 1, "method": "GET"}

            posted = await client.post(f"{base}/inbox", b'{"type":"Like"}')
            assert posted.status_code == 202
            assert posted.json() == {"connection": 1, "method": "POST"}
            assert server.connections == 1  # the pooled connection was reused

            # The server hangs up the kept-alive connection between requests:
            # the pool must see it (is_readable) and connect again, not fail.
            await server.drop_connections()
            await asyncio.sleep(0.05)
            again = await client.post(f"{base}/inbox", b'{"type":"Undo"}')
            assert again.status_code == 202
            assert again.json() == {"connection": 2, "method": "POST"}
            assert server.connections == 2

        assert http.requests == [
            (1, "GET", "/actor", b""),
            (1, "POST", "/inbox", b'{"type":"Like"}'),
            (2, "POST", "/inbox", b'{"type":"Undo"}'),
        ]
        assert http.cookies == []  # no cookie kept, none sent back

    run(scenario())
