"""GuardedTransport: the SSRF-guarded, pooled HTTP/1.1 transport under SafeClient.

Each scenario drives the transport through an httpx client (or through
SafeClient) against a loopback server that writes crafted bytes
(``tests/support/loopback.py``), and runs on asyncio's loop and on uvloop
(the ``run`` fixture): the node serves on uvloop, the suite on asyncio's loop.
What the server saw (connections, requests, hang-ups) is the evidence.

The spec, in short: requests arrive as sent; a clean connection is kept and
reused, anything doubtful is dropped, and a reused connection that dies
before answering is retried once on a new one; the pool is bounded in
connections, idle connections and idle time; connecting and waiting for a
free connection are timed; nothing is sent to a non-public address, nor a request that could
smuggle a line; TLS verifies the URL's host while connecting to an IP.

The wire itself (framing, bad responses, read and write timeouts, flow
control) is specified in ``test_http1.py``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from federation.client import ClientConfig, SafeClient
from federation.errors import FetchError, UnsafeURLError
from federation.pool import PoolLimits
from federation.ssrf import IPAddress
from tests.support.loopback import (
    HANG_UP,
    Handler,
    Peer,
    Run,
    Server,
    answering,
    client,
    closed_port,
    fixed_resolver,
    guarded,
    pooled,
    response,
    wait_until,
)
from tests.support.tls import self_signed_contexts

LOCAL = ClientConfig(allow_http=True, allow_private_addresses=True)
OK = response(200, b"ok")


def ok_times(n: int) -> list[bytes]:
    return [response(200, str(i).encode()) for i in range(n)]


def slow_bodies(release: asyncio.Event) -> Handler:
    """Answer each request with its head and half its body; the rest once ``release`` is set.

    A response whose body came whole with its head frees its connection at
    once, so a test that must hold connections busy uses these.
    """

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(response(200, b"", "Content-Length: 2", length=False) + b"o")
            await release.wait()
            await peer.send(b"k")

    return handler


async def hold(http: httpx.AsyncClient, url: str, n: int) -> list[httpx.Response]:
    """Send ``n`` requests one after the other, keeping their responses open."""
    return [await http.send(http.build_request("GET", url), stream=True) for _ in range(n)]


async def finish(responses: list[httpx.Response]) -> None:
    for got in responses:
        assert await got.aread() == b"ok"
        await got.aclose()


# --------------------------------------------------------------------------
# round trips and keep-alive


def test_get_round_trip(run: Run) -> None:
    async def scenario() -> None:
        resolver = fixed_resolver({"example.test": ["127.0.0.1"]})
        reply = response(200, b"hi", "Content-Type: text/plain", reason="Fine")
        async with Server(answering(reply)) as server, client(guarded(resolver=resolver)) as http:
            got = await http.get(
                f"http://example.test:{server.port}/a/b?q=1&r=%20", headers={"X-Custom": "v"}
            )
        assert (got.status_code, got.reason_phrase, got.text) == (200, "Fine", "hi")
        assert got.headers["content-type"] == "text/plain"
        [request] = server.requests
        assert (request.method, request.target, request.body) == ("GET", "/a/b?q=1&r=%20", b"")
        assert request.headers["host"] == f"example.test:{server.port}"  # connected by IP
        assert request.headers["x-custom"] == "v"
        assert "content-length" not in request.headers
        assert "transfer-encoding" not in request.headers

    run(scenario())


def test_post_round_trip(run: Run) -> None:
    async def scenario() -> None:
        async with Server(answering(response(202, b""))) as server, client() as http:
            got = await http.post(f"{server.url}/inbox", content=b'{"type":"Like"}')
        assert got.status_code == 202
        [request] = server.requests
        assert (request.method, request.target) == ("POST", "/inbox")
        assert request.headers["content-length"] == "15"
        assert request.body == b'{"type":"Like"}'

    run(scenario())


def test_a_streamed_request_body_is_sent_chunked(run: Run) -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"streamed "
        yield b"body"

    async def scenario() -> None:
        async with Server(answering(OK)) as server, client() as http:
            await http.post(server.url, content=parts())
        [request] = server.requests
        assert request.headers["transfer-encoding"] == "chunked"
        assert request.body == b"streamed body"

    run(scenario())


def test_sequential_requests_share_one_connection(run: Run) -> None:
    async def scenario() -> None:
        async with Server(answering(*ok_times(4))) as server, client() as http:
            for i in range(4):
                got = await (http.get(server.url) if i % 2 else http.post(server.url, content=b"x"))
                assert got.text == str(i)
        assert [request.connection for request in server.requests] == [1, 1, 1, 1]

    run(scenario())


def test_busy_connections_are_not_shared_and_are_reused_when_free(run: Run) -> None:
    async def scenario() -> None:
        release = asyncio.Event()
        async with Server(slow_bodies(release)) as server, client() as http:
            held = await hold(http, server.url, 3)
            assert server.connections == 3
            release.set()
            await finish(held)
            await asyncio.gather(*(http.get(server.url) for _ in range(3)))
            assert server.connections == 3
            assert len(server.requests) == 6

    run(scenario())


def test_a_complete_answer_frees_its_connection_before_it_is_read(run: Run) -> None:
    async def scenario() -> None:
        async with (
            Server(answering(*ok_times(2))) as server,
            client() as http,
            http.stream("GET", server.url) as first,
        ):
            assert (await http.get(server.url)).text == "1"  # while the first is open
            assert await first.aread() == b"0"
        assert [r.connection for r in server.requests] == [1, 1]

    run(scenario())


def test_an_idle_connection_the_server_closed_is_replaced(run: Run) -> None:
    async def scenario() -> None:
        async with Server(answering([OK, HANG_UP], OK)) as server, client() as http:
            await http.get(server.url)
            await server.finished()  # the server closed the kept-alive connection
            assert (await http.get(server.url)).text == "ok"
        assert [request.connection for request in server.requests] == [1, 2]

    run(scenario())


def test_a_reused_connection_that_dies_unanswered_is_retried_once_on_a_new_one(run: Run) -> None:
    async def drop_the_second_request(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            if peer.number == 1 and request.target == "/second":
                return  # read, then closed unanswered (the server timed the idle connection out)
            await peer.send(response(200, f"{peer.number}".encode()))

    async def scenario() -> None:
        async with Server(drop_the_second_request) as server, client() as http:
            await http.get(f"{server.url}/first")
            got = await http.post(f"{server.url}/second", content=b"delivery")
            assert got.text == "2"
        assert [(r.connection, r.target, r.body) for r in server.requests] == [
            (1, "/first", b""),
            (1, "/second", b"delivery"),
            (2, "/second", b"delivery"),
        ]

    run(scenario())


def test_a_retry_is_not_retried(run: Run) -> None:
    async def scenario() -> None:
        async with Server(answering(OK)) as server, client() as http:
            await http.get(server.url)
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get(f"{server.url}/again")  # every connection closes unanswered
        assert [(r.connection, r.target) for r in server.requests] == [
            (1, "/"),
            (1, "/again"),
            (2, "/again"),
        ]

    run(scenario())


@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 100 Continue\r\n\r\n"],
    ids=["status-line", "interim-response"],
)
def test_a_partly_answered_request_is_not_retried(run: Run, answer: bytes) -> None:
    async def scenario() -> None:
        partly = [answer, HANG_UP]  # the server has the request: it must not get it twice
        async with Server(answering(OK, partly)) as server, client() as http:
            await http.get(server.url)
            with pytest.raises(httpx.RemoteProtocolError):
                await http.post(server.url, content=b"delivery")
        assert [r.connection for r in server.requests] == [1, 1]

    run(scenario())


def test_a_connection_close_response_is_not_reused(run: Run) -> None:
    async def scenario() -> None:
        # The server keeps the connection open: it is the client that must let go.
        reply = response(200, b"bye", "Connection: close")
        async with Server(answering(reply, OK)) as server, client() as http:
            assert (await http.get(server.url)).text == "bye"
            assert await wait_until(lambda: server.hangups == 1)
            assert (await http.get(server.url)).text == "ok"
        assert [r.connection for r in server.requests] == [1, 2]

    run(scenario())


def test_an_answer_before_the_body_was_sent_is_not_followed_by_reuse(run: Run) -> None:
    async def scenario() -> None:
        # The server refuses from the head alone (as a 413 does) and keeps the
        # connection open; the rest of our body must not become its next request.
        async def early(peer: Peer) -> None:
            await peer.reader.readuntil(b"\r\n\r\n")
            await peer.send(response(413, b"too big"))
            await peer.until_hangup()

        big = b"x" * (16 * 1024 * 1024)  # more than the socket buffers hold
        transport = guarded()
        async with Server(early, receive_buffer=4096) as server, client(transport) as http:
            answer = await http.post(server.url, content=big)
            assert answer.status_code == 413
            assert pooled(transport) == []
            assert await wait_until(lambda: server.hangups == 1)

    run(scenario())


# --------------------------------------------------------------------------
# the pool


def test_idle_connections_expire(run: Run) -> None:
    async def scenario() -> None:
        transport = guarded(limits=PoolLimits(keepalive_expiry=0.1))
        async with Server(answering(*ok_times(2))) as server, client(transport) as http:
            await http.get(server.url)
            await asyncio.sleep(0.15)  # the expiry is the thing under test
            await http.get(server.url)
            assert [r.connection for r in server.requests] == [1, 2]
            assert await wait_until(lambda: server.hangups == 1)  # the stale one was closed

    run(scenario())


def test_idle_connections_per_origin_are_capped(run: Run) -> None:
    async def scenario() -> None:
        release = asyncio.Event()
        transport = guarded(limits=PoolLimits(max_idle_per_origin=2))
        async with Server(slow_bodies(release)) as server, client(transport) as http:
            held = await hold(http, server.url, 3)
            release.set()
            await finish(held)
            assert await wait_until(lambda: server.hangups == 1)  # the oldest of three let go
            assert len(pooled(transport)) == 2
            await asyncio.gather(http.get(server.url), http.get(server.url))
            assert server.connections == 3
            assert server.hangups == 1

    run(scenario())


def test_bytes_arriving_on_an_idle_connection_prevent_reuse(run: Run) -> None:
    async def scenario() -> None:
        chatter = asyncio.Event()

        async def chatty(peer: Peer) -> None:
            if peer.number == 1:
                await peer.read_request()
                await peer.send(OK)
                await chatter.wait()
                await peer.send(response(200, b"unsolicited"))
            await answering(OK)(peer)

        transport = guarded()
        async with Server(chatty) as server, client(transport) as http:
            await http.get(server.url)
            chatter.set()
            [idle] = pooled(transport)
            assert await wait_until(lambda: not idle.is_reusable)
            assert (await http.get(server.url)).text == "ok"
            assert [r.connection for r in server.requests] == [1, 2]

    run(scenario())


def test_a_response_closed_before_its_end_is_not_reused(run: Run) -> None:
    async def scenario() -> None:
        partial = response(200, b"", "Content-Length: 10", length=False) + b"half"
        async with Server(answering(partial, OK)) as server, client() as http:
            async with http.stream("GET", server.url) as got:
                assert got.status_code == 200  # and the body is left unread
            assert await wait_until(lambda: server.hangups == 1)
            assert (await http.get(server.url)).text == "ok"
        assert [r.connection for r in server.requests] == [1, 2]

    run(scenario())


def test_aclose_closes_idle_connections(run: Run) -> None:
    async def scenario() -> None:
        transport = guarded()
        async with Server(answering(OK)) as server:
            http = client(transport)
            await http.get(server.url)
            await http.aclose()
            assert await wait_until(lambda: server.hangups == 1)
            with pytest.raises(RuntimeError, match="closed"):
                await transport.handle_async_request(httpx.Request("GET", server.url))

    run(scenario())


def test_pool_timeout_when_every_connection_is_busy(run: Run) -> None:
    async def scenario() -> None:
        release = asyncio.Event()
        transport = guarded(limits=PoolLimits(max_connections=1))
        async with Server(slow_bodies(release)) as server, client(transport) as http:
            held = await hold(http, server.url, 1)
            started = time.monotonic()
            with pytest.raises(httpx.PoolTimeout):
                await http.get(server.url, timeout=httpx.Timeout(2.0, pool=0.1))
            assert 0.09 <= time.monotonic() - started < 1.0
            release.set()
            await finish(held)
            assert (await http.get(server.url)).text == "ok"  # on the freed slot
            assert server.connections == 1

    run(scenario())


def test_a_failed_request_frees_its_slot(run: Run) -> None:
    async def scenario() -> None:
        transport = guarded(limits=PoolLimits(max_connections=1))
        async with Server(answering([HANG_UP], OK)) as server, client(transport) as http:
            with pytest.raises(FetchError):
                await http.get(f"http://127.0.0.1:{closed_port()}/")
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get(server.url)
            fast = httpx.Timeout(2.0, pool=0.1)
            assert (await http.get(server.url, timeout=fast)).text == "ok"

    run(scenario())


# --------------------------------------------------------------------------
# timeouts


def test_connect_timeout_while_resolving(run: Run) -> None:
    async def never(host: str, port: int) -> list[str]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def scenario() -> None:
        async with client(guarded(resolver=never)) as http:
            started = time.monotonic()
            with pytest.raises(httpx.ConnectTimeout):
                await http.get("http://slow.test/", timeout=httpx.Timeout(2.0, connect=0.1))
            assert time.monotonic() - started < 1.0

    run(scenario())


def test_connect_timeout_when_the_tcp_handshake_never_completes(run: Run) -> None:
    async def scenario() -> None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(0)  # nobody accepts: once the queue is full, SYNs go unanswered
            port = listener.getsockname()[1]
            fillers = [socket.socket() for _ in range(3)]
            try:
                for filler in fillers:
                    filler.setblocking(False)
                    filler.connect_ex(("127.0.0.1", port))
                async with client() as http:
                    started = time.monotonic()
                    with pytest.raises(httpx.ConnectTimeout):
                        await http.get(
                            f"http://127.0.0.1:{port}/", timeout=httpx.Timeout(2.0, connect=0.1)
                        )
                    assert time.monotonic() - started < 1.0
            finally:
                for filler in fillers:
                    filler.close()

    run(scenario())


def test_the_tls_handshake_counts_toward_the_connect_timeout(run: Run) -> None:
    async def silent(peer: Peer) -> None:
        await peer.until_hangup()  # reads the ClientHello, never answers

    async def scenario() -> None:
        async with Server(silent) as server, client() as http:
            with pytest.raises(httpx.ConnectTimeout):
                await http.get(
                    f"https://127.0.0.1:{server.port}/", timeout=httpx.Timeout(2.0, connect=0.1)
                )
            assert await wait_until(lambda: server.hangups == 1)

    run(scenario())


# --------------------------------------------------------------------------
# safety


def test_a_line_break_in_a_header_is_refused_before_anything_is_sent(run: Run) -> None:
    async def scenario() -> None:
        async with Server(answering(OK)) as server, client() as http:
            with pytest.raises(httpx.LocalProtocolError):
                await http.get(server.url, headers={"X-Evil": "a\r\nInjected: yes"})
            await http.get(f"{server.url}/after")
        assert [(r.connection, r.target) for r in server.requests] == [(1, "/after")]
        assert "injected" not in server.requests[0].headers

    run(scenario())


def test_a_private_address_is_refused_without_connecting(run: Run) -> None:
    async def scenario() -> None:
        resolver = fixed_resolver({"evil.test": ["127.0.0.1"]})
        strict = guarded(allow_private_addresses=False, resolver=resolver)
        async with Server(answering(OK)) as server, client(strict) as http:
            with pytest.raises(UnsafeURLError, match="non-public"):
                await http.get(f"http://evil.test:{server.port}/")
            with pytest.raises(UnsafeURLError, match="non-public"):
                await http.get(f"{server.url}/literal")
            async with client() as permissive:
                await permissive.get(f"{server.url}/control")
        assert [r.target for r in server.requests] == ["/control"]
        assert server.connections == 1

    run(scenario())


def test_a_host_with_one_forbidden_address_among_others_is_refused(run: Run) -> None:
    forbidden = ipaddress.ip_address("127.0.0.2")

    def only_127_0_0_2_is_private(ip: IPAddress) -> bool:
        return ip == forbidden

    async def scenario() -> None:
        resolver = fixed_resolver(
            {"mixed.test": ["127.0.0.1", "127.0.0.2"], "clean.test": ["127.0.0.1"]}
        )
        strict = guarded(
            allow_private_addresses=False, resolver=resolver, is_forbidden=only_127_0_0_2_is_private
        )
        async with Server(answering(OK)) as server, client(strict) as http:
            with pytest.raises(UnsafeURLError):
                await http.get(f"http://mixed.test:{server.port}/mixed")
            await http.get(f"http://clean.test:{server.port}/clean")
        assert [r.target for r in server.requests] == ["/clean"]
        assert server.connections == 1

    run(scenario())


def test_the_validated_addresses_are_tried_in_turn(run: Run) -> None:
    async def scenario() -> None:
        # Nothing listens on 127.0.0.2 at the server's port: refused, then the next one.
        resolver = fixed_resolver({"twice.test": ["127.0.0.2", "127.0.0.1"]})
        async with Server(answering(OK)) as server, client(guarded(resolver=resolver)) as http:
            assert (await http.get(f"http://twice.test:{server.port}/")).text == "ok"

    run(scenario())


def test_connection_refused(run: Run) -> None:
    async def scenario() -> None:
        url = f"http://127.0.0.1:{closed_port()}/inbox"
        async with client() as http:
            with pytest.raises(FetchError) as caught:
                await http.get(url)
        assert caught.value.reason == "connection refused"
        async with SafeClient(LOCAL) as safe:
            with pytest.raises(FetchError) as caught:
                await safe.post(url, b"{}")
        assert caught.value.reason == "connection refused"

    run(scenario())


def test_head_requests_are_not_supported(run: Run) -> None:
    async def scenario() -> None:
        async with Server(answering(OK)) as server, client() as http:
            with pytest.raises(httpx.UnsupportedProtocol):
                await http.head(server.url)
        assert server.connections == 0

    run(scenario())


# --------------------------------------------------------------------------
# TLS: connect to the validated IP, verify the certificate against the URL's host

NAMES = fixed_resolver({"staffroom.test": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]})


def test_tls_round_trip_by_ip_with_the_url_host_verified(run: Run, tmp_path: Path) -> None:
    server_ctx, client_ctx = self_signed_contexts(tmp_path, "staffroom.test")
    sni: list[str | None] = []
    server_ctx.sni_callback = lambda sock, name, ctx: sni.append(name)

    async def scenario() -> None:
        transport = guarded(resolver=NAMES, ssl_context=client_ctx)
        async with Server(answering(*ok_times(2)), server_ctx) as server, client(transport) as http:
            for i in range(2):
                got = await http.get(f"https://staffroom.test:{server.port}/note")
                assert got.text == str(i)
            assert server.connections == 1  # kept alive over TLS too
        assert sni == ["staffroom.test"]
        assert server.requests[0].headers["host"] == f"staffroom.test:{server.port}"

    run(scenario())


def test_tls_close_delimited_body(run: Run, tmp_path: Path) -> None:
    server_ctx, client_ctx = self_signed_contexts(tmp_path, "staffroom.test")

    async def scenario() -> None:
        reply = [b"HTTP/1.1 200 OK\r\n\r\nuntil ", b"the end", HANG_UP]
        transport = guarded(resolver=NAMES, ssl_context=client_ctx)
        async with Server(answering(reply), server_ctx) as server, client(transport) as http:
            got = await http.get(f"https://staffroom.test:{server.port}/")
            assert got.content == b"until the end"

    run(scenario())


def test_tls_refuses_a_certificate_for_another_host(run: Run, tmp_path: Path) -> None:
    server_ctx, client_ctx = self_signed_contexts(tmp_path, "staffroom.test")

    async def scenario() -> None:
        async with Server(answering(OK), server_ctx) as server:
            for context, host in (
                (client_ctx, "impostor.test"),  # a trusted certificate, for another name
                (ssl.create_default_context(), "staffroom.test"),  # the name, but not trusted
            ):
                async with client(guarded(resolver=NAMES, ssl_context=context)) as http:
                    with pytest.raises(httpx.ConnectError) as caught:
                        await http.get(f"https://{host}:{server.port}/")
                assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
            async with SafeClient(LOCAL, resolver=NAMES, ssl_context=client_ctx) as safe:
                with pytest.raises(FetchError) as refused:
                    await safe.get(f"https://impostor.test:{server.port}/")
            assert refused.value.reason == "TLS handshake failed"
            assert server.requests == []

    run(scenario())


# --------------------------------------------------------------------------
# end to end: SafeClient on this transport


def test_safe_client_reuses_and_replaces_pooled_connections(run: Run) -> None:
    async def json_server(peer: Peer) -> None:
        """Answer JSON naming the connection; try to set a cookie every time."""
        while (request := await peer.read_request()) is not None:
            payload = f'{{"connection": {peer.number}, "method": "{request.method}"}}'
            status = 202 if request.method == "POST" else 200
            await peer.send(
                response(
                    status,
                    payload.encode(),
                    "Content-Type: application/json",
                    f"Set-Cookie: session=s{len(peer.server.requests)}; Path=/",
                )
            )
            if request.target == "/last-on-this-connection":
                return

    async def scenario() -> None:
        async with Server(json_server) as server, SafeClient(LOCAL) as safe:
            got = await safe.get(f"{server.url}/actor")
            assert got.status_code == 200
            assert got.json() == {"connection": 1, "method": "GET"}

            posted = await safe.post(f"{server.url}/last-on-this-connection", b'{"type":"Like"}')
            assert posted.status_code == 202
            assert posted.json() == {"connection": 1, "method": "POST"}

            # The server hung up the kept-alive connection: the next request
            # goes out on a new one, and does not fail.
            await server.finished()
            again = await safe.post(f"{server.url}/inbox", b'{"type":"Undo"}')
            assert again.status_code == 202
            assert again.json() == {"connection": 2, "method": "POST"}

        assert [(r.connection, r.method, r.target, r.body) for r in server.requests] == [
            (1, "GET", "/actor", b""),
            (1, "POST", "/last-on-this-connection", b'{"type":"Like"}'),
            (2, "POST", "/inbox", b'{"type":"Undo"}'),
        ]
        assert all("cookie" not in r.headers for r in server.requests)  # none kept or sent

    run(scenario())
