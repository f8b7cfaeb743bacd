"""SafeClient against a real loopback HTTP(S) server.

The server runs in its own thread and event loop (module scope) and records
every accepted TCP connection, so "refused before any connection" is observed
from the server's side, not inferred from the client's error.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from federation.client import ACTIVITY_ACCEPT, ClientConfig, FetchStatusError, SafeClient
from federation.errors import FetchError, UnsafeURLError
from federation.ssrf import IPAddress, Resolver, check_url, is_forbidden_address
from tests.support.tls import self_signed_contexts

pytestmark = pytest.mark.asyncio

BIG_TOTAL = 64 * 1024 * 1024  # what /big would send if nobody stopped it
CAP = 64 * 1024  # max_response_bytes in the size tests


# --------------------------------------------------------------------------
# the loopback server


@dataclass
class Recorder:
    connections: int = 0
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)
    big_written: int | None = None  # set when /big stops writing

    def snapshot(self) -> int:
        return self.connections


def _response(
    status: int, body: bytes, content_type: str = "application/json", **extra: str
) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    head += [f"{k.replace('_', '-')}: {v}" for k, v in extra.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class LoopbackServer:
    def __init__(self, tls_context: ssl.SSLContext) -> None:
        self.rec = Recorder()
        self._tls_context = tls_context
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.port = 0
        self.tls_port = 0
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(5), "test server did not start"

    def stop(self) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        plain = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        tls = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._tls_context)
        self.port = plain.sockets[0].getsockname()[1]
        self.tls_port = tls.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        plain.close()
        tls.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.rec.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = b""
            if int(headers.get("content-length", "0")):
                body = await reader.readexactly(int(headers["content-length"]))
            self.rec.requests.append((method, target, headers))
            await self._route(method, target, headers, body, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            # Server shutdown with a /slow handler still sleeping: end quietly.
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    async def _route(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        writer: asyncio.StreamWriter,
    ) -> None:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/json":
            doc = {"id": "https://remote.example/notes/1", "type": "Note", "content": "hi"}
            writer.write(
                _response(200, json.dumps(doc).encode(), "application/activity+json; charset=utf-8")
            )
        elif path == "/echo":
            echo = {"method": method, "path": target, "headers": headers, "body": body.decode()}
            writer.write(_response(200, json.dumps(echo).encode()))
        elif path == "/redirect":
            status = int(query.get("status", ["302"])[0])
            writer.write(_response(status, b"", "", Location=query["to"][0]))
        elif path == "/challenge":
            if headers.get("x-answer") == "42":
                writer.write(_response(200, json.dumps({"answered": True}).encode()))
            else:
                writer.write(_response(401, b"{}", "application/json", WWW_Authenticate="Riddle"))
        elif path == "/badredirect":
            writer.write(_response(302, b"", "", Location="http://[::1"))
        elif path == "/loop":
            writer.write(_response(302, b"", "", Location="/loop"))
        elif path == "/html":
            writer.write(_response(200, b"<html></html>", "text/html"))
        elif path == "/badjson":
            writer.write(_response(200, b"{not json", "application/activity+json"))
        elif path == "/array":
            writer.write(_response(200, b"[1, 2]", "application/json"))
        elif path == "/gone":
            writer.write(_response(410, b"{}", "application/json"))
        elif path == "/jrd":
            writer.write(_response(200, b'{"subject": "acct:a@b"}', "application/jrd+json"))
        elif path == "/gzip":
            packed = gzip.compress(json.dumps({"type": "Note", "content": "x" * 5000}).encode())
            writer.write(
                _response(200, packed, "application/activity+json", Content_Encoding="gzip")
            )
        elif path == "/gzipbomb":
            packed = gzip.compress(b" " * (8 * 1024 * 1024))
            writer.write(
                _response(200, packed, "application/activity+json", Content_Encoding="gzip")
            )
        elif path == "/biglength":
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                "Content-Length: 104857600\r\n\r\n"
            )
            writer.write(head.encode() + b" " * 1024)
            await writer.drain()
            await asyncio.sleep(2)
        elif path == "/big":
            await self._stream_big(writer)
        elif path == "/slow":
            await asyncio.sleep(3)
            writer.write(_response(200, b"{}"))
        elif path == "/drip":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            )
            for _ in range(1000):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
        else:
            writer.write(_response(404, b"{}"))
        await writer.drain()

    async def _stream_big(self, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 65536
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        written = 0
        try:
            while written < BIG_TOTAL:
                writer.write(framed)
                await writer.drain()
                written += len(chunk)
        except ConnectionError:
            pass
        finally:
            self.rec.big_written = written


@pytest.fixture(scope="module")
def tls_contexts(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    return self_signed_contexts(tmp_path_factory.mktemp("tls"), "localhost")


@pytest.fixture(scope="module")
def server(tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[LoopbackServer]:
    server_ctx, _ = tls_contexts
    srv = LoopbackServer(server_ctx)
    server_ctx.sni_callback = lambda sock, name, ctx: srv.rec.sni.append(name)
    srv.start()
    yield srv
    srv.stop()


LOCAL = ClientConfig(allow_http=True, allow_private_addresses=True)
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def fake_resolver(table: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return table[host]

    return resolve


def only_loopback_allowed(ip: IPAddress) -> bool:
    """The real predicate, except that 127.0.0.1 passes: the 'public' test host."""
    return ip != LOOPBACK and is_forbidden_address(ip)


def guarded_client(**config: object) -> SafeClient:
    """A client with the guard ON, where *.test names resolve through a table."""
    cfg = ClientConfig(allow_http=True, **config)  # type: ignore[arg-type]
    table = {
        "public.test": ["127.0.0.1"],
        "other.test": ["127.0.0.1"],
        # One acceptable and one forbidden answer: must be refused outright.
        "internal.test": ["127.0.0.1", "10.1.2.3"],
    }
    return SafeClient(cfg, resolver=fake_resolver(table), is_forbidden=only_loopback_allowed)


def wait_for(predicate: object, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# --------------------------------------------------------------------------
# the SSRF guard, observed from the server


async def test_loopback_literal_refused_without_connecting(server: LoopbackServer) -> None:
    before = server.rec.snapshot()
    async with SafeClient(ClientConfig(allow_http=True)) as client:
        with pytest.raises(UnsafeURLError):
            await client.get_json(server.url("/json"))
    assert server.rec.connections == before


async def test_localhost_name_refused_by_connect_time_guard(server: LoopbackServer) -> None:
    url = server.url("/json", host="localhost")
    # check_url lets the name through: the refusal below comes from resolution.
    check_url(url, allow_http=True)
    before = server.rec.snapshot()
    async with SafeClient(ClientConfig(allow_http=True)) as client:
        with pytest.raises(UnsafeURLError, match="non-public"):
            await client.get_json(url)
    assert server.rec.connections == before


async def test_decimal_ip_host_refused_after_resolution(server: LoopbackServer) -> None:
    before = server.rec.snapshot()
    async with SafeClient(ClientConfig(allow_http=True)) as client:
        with pytest.raises(UnsafeURLError):
            await client.get(f"http://2130706433:{server.port}/json")
    assert server.rec.connections == before


async def test_allow_private_reaches_localhost(server: LoopbackServer) -> None:
    async with SafeClient(LOCAL) as client:
        doc = await client.get_json(server.url("/json", host="localhost"))
        doc2 = await client.get_json(server.url("/json"))
    assert doc["type"] == "Note"
    assert doc2 == doc


async def test_host_with_any_forbidden_address_refused(server: LoopbackServer) -> None:
    before = server.rec.snapshot()
    async with guarded_client() as client:
        assert (await client.get_json(f"http://public.test:{server.port}/json"))["type"] == "Note"
        assert server.rec.connections == before + 1
        with pytest.raises(UnsafeURLError):
            await client.get_json(f"http://internal.test:{server.port}/json")
    assert server.rec.connections == before + 1


async def test_redirect_to_forbidden_host_refused_at_connect(server: LoopbackServer) -> None:
    target = f"http://internal.test:{server.port}/json"
    before = server.rec.snapshot()
    async with guarded_client() as client:
        with pytest.raises(UnsafeURLError):
            await client.get_json(f"http://public.test:{server.port}/redirect?to={target}")
    assert server.rec.connections == before + 1  # only the first hop


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:1/",
        "file:///etc/passwd",
        "http://u:p@public.test/",
    ],
)
async def test_redirect_to_refused_url(server: LoopbackServer, target: str) -> None:
    before = server.rec.snapshot()
    async with guarded_client() as client:
        with pytest.raises(UnsafeURLError):
            await client.get(f"http://public.test:{server.port}/redirect?to={target}")
    assert server.rec.connections == before + 1


async def test_https_only_by_default(server: LoopbackServer) -> None:
    async with SafeClient(ClientConfig(allow_private_addresses=True)) as client:
        with pytest.raises(UnsafeURLError, match="scheme"):
            await client.get(server.url("/json"))


# --------------------------------------------------------------------------
# redirects


class MarkUrl(httpx.Auth):
    """Stands in for the HTTP-signature signer: stamps the URL it signed."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Signed-Url"] = str(request.url)
        yield request


async def test_redirect_followed_and_resigned(server: LoopbackServer) -> None:
    final = f"http://other.test:{server.port}/echo"
    async with guarded_client() as client:
        url, doc = await client.get_json_with_url(
            f"http://public.test:{server.port}/redirect?to={final}", auth=MarkUrl()
        )
    assert url == final
    assert doc["headers"]["x-signed-url"] == final
    assert doc["headers"]["accept"] == ACTIVITY_ACCEPT
    assert doc["headers"]["user-agent"] == "Staffroom/0.1"


async def test_a_redirect_to_another_origin_drops_credentials(server: LoopbackServer) -> None:
    async with guarded_client() as client:
        for host, kept in (("public.test", True), ("other.test", False)):
            final = f"http://{host}:{server.port}/echo"
            response = await client.get(
                f"http://public.test:{server.port}/redirect?to={final}",
                headers={"Authorization": "Bearer secret", "X-Kept": "yes"},
            )
            echoed = response.json()["headers"]
            assert ("authorization" in echoed) is kept
            assert echoed["x-kept"] == "yes"
            assert echoed["host"] == f"{host}:{server.port}"


async def test_an_unparsable_redirect_is_refused(server: LoopbackServer) -> None:
    async with SafeClient(LOCAL) as client:
        with pytest.raises(FetchError, match="invalid redirect location"):
            await client.get(server.url("/badredirect"))


class Riddle(httpx.Auth):
    """A challenge-and-answer auth: the flow sees the 401 and asks again."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code == 401 and response.headers["www-authenticate"] == "Riddle":
            request.headers["X-Answer"] = "42"
            yield request


async def test_an_auth_flow_can_answer_a_challenge(server: LoopbackServer) -> None:
    before = len(server.rec.requests)
    async with SafeClient(LOCAL) as client:
        answered = await client.get_json(server.url("/challenge"), auth=Riddle())
    assert answered == {"answered": True}
    assert [r[2].get("x-answer") for r in server.rec.requests[before:]] == [None, "42"]


async def test_redirect_limit(server: LoopbackServer) -> None:
    before = len(server.rec.requests)
    async with SafeClient(LOCAL) as client:
        with pytest.raises(FetchError, match="too many redirects"):
            await client.get(server.url("/loop"))
    assert len(server.rec.requests) - before == 1 + LOCAL.max_redirects


async def test_post_follows_307_with_body_and_signature(server: LoopbackServer) -> None:
    final = server.url("/echo")
    async with SafeClient(LOCAL) as client:
        response = await client.post(
            server.url(f"/redirect?status=307&to={final}"), b'{"type":"Like"}', auth=MarkUrl()
        )
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["method"] == "POST"
    assert echoed["body"] == '{"type":"Like"}'
    assert echoed["headers"]["x-signed-url"] == final
    assert echoed["headers"]["content-type"] == "application/activity+json"


async def test_post_does_not_follow_302(server: LoopbackServer) -> None:
    before = len(server.rec.requests)
    async with SafeClient(LOCAL) as client:
        response = await client.post(server.url(f"/redirect?to={server.url('/echo')}"), b"{}")
    assert response.status_code == 302
    assert len(server.rec.requests) - before == 1


# --------------------------------------------------------------------------
# size and time limits


async def test_declared_length_over_cap_refused(server: LoopbackServer) -> None:
    started = time.monotonic()
    async with SafeClient(LOCAL) as client:
        with pytest.raises(FetchError, match="too large"):
            await client.get(server.url("/biglength"))
    assert time.monotonic() - started < 1.5  # did not wait for the body


async def test_streamed_body_over_cap_stops_reading(server: LoopbackServer) -> None:
    server.rec.big_written = None
    async with SafeClient(
        ClientConfig(allow_http=True, allow_private_addresses=True, max_response_bytes=CAP)
    ) as client:
        with pytest.raises(FetchError, match="too large"):
            await client.get_json(server.url("/big"))
    assert wait_for(lambda: server.rec.big_written is not None)
    # The server could only push what the socket buffers held after we hung up
    # (well under a megabyte in practice; 16 MiB leaves room for big buffers).
    assert server.rec.big_written is not None
    assert server.rec.big_written < 16 * 1024 * 1024


async def test_gzip_body_inflated(server: LoopbackServer) -> None:
    async with SafeClient(LOCAL) as client:
        doc = await client.get_json(server.url("/gzip"))
        response = await client.get(server.url("/gzip"))
    assert doc["content"] == "x" * 5000
    assert "content-encoding" not in response.headers
    assert response.json() == doc


async def test_gzip_bomb_stopped_at_cap(server: LoopbackServer) -> None:
    async with SafeClient(
        ClientConfig(allow_http=True, allow_private_addresses=True, max_response_bytes=CAP)
    ) as client:
        with pytest.raises(FetchError, match="too large"):
            await client.get_json(server.url("/gzipbomb"))


async def test_read_timeout(server: LoopbackServer) -> None:
    cfg = ClientConfig(allow_http=True, allow_private_addresses=True, read_timeout=0.3)
    started = time.monotonic()
    async with SafeClient(cfg) as client:
        with pytest.raises(FetchError, match="timed out"):
            await client.get_json(server.url("/slow"))
    assert time.monotonic() - started < 1.5


async def test_total_timeout_stops_a_drip_feed(server: LoopbackServer) -> None:
    cfg = ClientConfig(allow_http=True, allow_private_addresses=True, total_timeout=0.4)
    started = time.monotonic()
    async with SafeClient(cfg) as client:
        with pytest.raises(FetchError, match="timed out"):
            await client.get(server.url("/drip"))
    assert time.monotonic() - started < 1.5


async def test_connection_refused() -> None:
    async with SafeClient(LOCAL) as client:
        with pytest.raises(FetchError, match="connection refused"):
            await client.get(f"http://127.0.0.1:{closed_port()}/")


# --------------------------------------------------------------------------
# JSON checks


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/html", "content type"),
        ("/badjson", "invalid JSON"),
        ("/array", "not an object"),
    ],
)
async def test_json_checks(server: LoopbackServer, path: str, message: str) -> None:
    async with SafeClient(LOCAL) as client:
        with pytest.raises(FetchError, match=message):
            await client.get_json(server.url(path))


async def test_error_status_is_raised_for_json_and_returned_for_get(server: LoopbackServer) -> None:
    async with SafeClient(LOCAL) as client:
        with pytest.raises(FetchStatusError) as caught:
            await client.get_json(server.url("/gone"))
        response = await client.get(server.url("/gone"))
    assert caught.value.http_status == 410
    assert caught.value.status == 502
    assert response.status_code == 410


async def test_jrd_accepted_with_custom_accept(server: LoopbackServer) -> None:
    async with SafeClient(LOCAL) as client:
        doc = await client.get_json(server.url("/jrd"), accept="application/jrd+json")
    assert doc == {"subject": "acct:a@b"}


# --------------------------------------------------------------------------
# TLS: connect to the validated IP, verify the certificate against the URL host


async def test_tls_verifies_url_hostname_while_connecting_by_ip(
    server: LoopbackServer, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    _, client_ctx = tls_contexts
    table = {"localhost": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]}
    cfg = ClientConfig(allow_private_addresses=True)
    async with SafeClient(cfg, resolver=fake_resolver(table), ssl_context=client_ctx) as client:
        doc = await client.get_json(f"https://localhost:{server.tls_port}/json")
        assert doc["type"] == "Note"
        assert "localhost" in server.rec.sni
        # Same IP, but the certificate does not name this host: refused.
        with pytest.raises(FetchError, match="TLS"):
            await client.get_json(f"https://impostor.test:{server.tls_port}/json")
        with pytest.raises(FetchError, match="TLS"):
            await client.get_json(f"https://127.0.0.1:{server.tls_port}/json")
