"""HTTP/1.1 on the wire: what :mod:`federation.http1` writes and how it reads responses.

Each scenario drives the client transport (``GuardedTransport`` under an
httpx client) against a loopback server that writes crafted bytes, whole or
in pieces (``tests/support/loopback.py``), and runs on asyncio's loop and on
uvloop (the ``run`` fixture). Whether a connection was kept is observed from
the server's side: a kept connection is the one the next request arrives on.

The spec, in short: bodies are framed by Content-Length, chunked encoding or
the end of the connection; 204, 304 and interim (1xx) responses carry no
body; a bad response is an httpx error, never a hang; the head is capped at
64 KiB and 200 headers; the read timeout bounds each wait for the response,
the write timeout a peer that does not read; reading pauses while a body
waits unread; a request that could smuggle a line is refused before a byte
is written.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.guarded_transport import _ResponseBody
from federation.http1 import _READ_HIGH_WATER, MAX_HEAD_BYTES, MAX_HEADERS, encode_request
from tests.support.loopback import (
    HANG_UP,
    Peer,
    Run,
    Server,
    answering,
    client,
    guarded,
    response,
    wait_until,
)

AGAIN = response(200, b"again")

#: The most a socket read returns, on asyncio's loop and on uvloop.
READ_SIZE = 256 * 1024


async def get_then_again(*first: bytes) -> tuple[httpx.Response, Server]:
    """GET a response written as the pieces ``first``, then GET once more (answered AGAIN)."""
    async with Server(answering(first, AGAIN)) as server, client() as http:
        got = await http.get(f"{server.url}/first")
        again = await http.get(f"{server.url}/again")
        assert again.content == b"again"
    return got, server


async def get_failure(*pieces: bytes) -> BaseException:
    """GET a response written as ``pieces``; the error it raised."""
    async with Server(answering(pieces)) as server, client() as http:
        with pytest.raises(httpx.HTTPError) as caught:
            await http.get(server.url)
    return caught.value


# --------------------------------------------------------------------------
# the request on the wire


def test_encode_request_writes_the_request_line_headers_and_body() -> None:
    wire = encode_request(
        b"POST", b"/inbox?x=1", [(b"Host", b"a.example"), (b"Content-Length", b"2")], b"{}"
    )
    assert wire == b"POST /inbox?x=1 HTTP/1.1\r\nHost: a.example\r\nContent-Length: 2\r\n\r\n{}"


@pytest.mark.parametrize(
    ("method", "target", "header"),
    [
        (b"GET", b"/", (b"X-Evil", b"a\r\nInjected: yes")),
        (b"GET", b"/", (b"X-Evil", b"a\nb")),
        (b"GET", b"/", (b"X-Evil", b"a\x00b")),
        (b"GET", b"/", (b"X-Evil", b"a\rb")),  # a bare CR, which some servers read as a break
        (b"GET", b"/", (b"X-Evil:", b"a")),  # a name must be a token
        (b"GET", b"/", (b"X Evil", b"a")),
        (b"GET", b"/a\r\nInjected: yes", (b"Host", b"a")),
        (b"GET", b"/a b", (b"Host", b"a")),
        (b"GET", b"", (b"Host", b"a")),
        (b"GET /", b"/", (b"Host", b"a")),
        (b"", b"/", (b"Host", b"a")),
    ],
)
def test_encode_request_refuses_what_could_smuggle_a_line(
    method: bytes, target: bytes, header: tuple[bytes, bytes]
) -> None:
    with pytest.raises(httpx.LocalProtocolError):
        encode_request(method, target, [header], b"")


@given(
    st.lists(
        st.tuples(
            st.sampled_from([b"Host", b"Date", b"Signature", b"X-A"]),
            st.binary(max_size=12) | st.sampled_from([b"ok", b"a: b", b"\r", b"\n", b"\x00"]),
        ),
        max_size=6,
    )
)
def test_encode_request_refuses_exactly_the_values_with_cr_lf_or_nul(
    headers: list[tuple[bytes, bytes]],
) -> None:
    """Whatever sits among the other headers, and wherever in a value it is."""
    bad = any(c in value for _name, value in headers for c in (b"\r", b"\n", b"\x00"))
    if bad:
        with pytest.raises(httpx.LocalProtocolError):
            encode_request(b"POST", b"/inbox", headers, b"{}")
    else:
        wire = encode_request(b"POST", b"/inbox", headers, b"{}")
        lines = wire.split(b"\r\n")
        assert lines[1 : 1 + len(headers)] == [name + b": " + value for name, value in headers]
        assert wire.endswith(b"\r\n\r\n{}")


# --------------------------------------------------------------------------
# response framing


def test_content_length_body_and_reuse(run: Run) -> None:
    async def scenario() -> None:
        got, server = await get_then_again(
            response(201, b"hello", "Link: <a>", "Link: <b>", "X-Empty:", reason="Made It")
        )
        assert got.status_code == 201
        assert got.reason_phrase == "Made It"
        assert got.http_version == "HTTP/1.1"
        assert got.headers.get_list("link") == ["<a>", "<b>"]
        assert got.headers["x-empty"] == ""
        assert got.content == b"hello"
        assert server.connections == 1

    run(scenario())


def test_chunked_body_split_across_writes(run: Run) -> None:
    async def scenario() -> None:
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        got, server = await get_then_again(
            head + b"5",
            b"\r\nhel",
            b"lo\r",
            b"\n6;ext=1\r\n wor",
            b"ld\r\n0\r\nX-Trailer: t\r\n",
            b"\r\n",
        )
        assert got.content == b"hello world"
        assert server.connections == 1

    run(scenario())


def test_close_delimited_body_ends_at_eof(run: Run) -> None:
    async def scenario() -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
        got, server = await get_then_again(head + b"until ", b"the end", HANG_UP)
        assert got.content == b"until the end"
        assert server.connections == 2

    run(scenario())


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_for_204_and_304(run: Run, status: int) -> None:
    async def scenario() -> None:
        # A 304 may announce the length of the representation it does not send.
        extra = ("Content-Length: 100",) if status == 304 else ()
        got, server = await get_then_again(response(status, b"", *extra, length=False))
        assert got.status_code == status
        assert got.content == b""
        assert server.connections == 1  # no body was waited for, and none eaten

    run(scenario())


def test_interim_responses_are_skipped(run: Run) -> None:
    async def scenario() -> None:
        got, server = await get_then_again(
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
            response(200, b"final", "X-Final: yes"),
        )
        assert got.status_code == 200
        assert got.reason_phrase == "OK"
        assert "link" not in got.headers
        assert got.headers["x-final"] == "yes"
        assert got.content == b"final"
        assert server.connections == 1

    run(scenario())


def test_body_in_many_small_writes(run: Run) -> None:
    async def scenario() -> None:
        body = bytes(range(256))
        pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
        got, server = await get_then_again(
            response(200, b"", f"Content-Length: {len(body)}", length=False), *pieces
        )
        assert got.content == body
        assert server.connections == 1

    run(scenario())


def test_an_http_1_0_response_is_not_reused(run: Run) -> None:
    async def scenario() -> None:
        got, server = await get_then_again(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        assert got.content == b"ok"
        assert got.http_version == "HTTP/1.1"  # what we spoke; the server's is not kept
        assert server.connections == 2
        assert await wait_until(lambda: server.hangups == 1)  # the client closed it

    run(scenario())


def test_a_second_response_to_one_request_prevents_reuse(run: Run) -> None:
    async def scenario() -> None:
        got, server = await get_then_again(response(200, b"first") + response(200, b"stray"))
        assert got.content == b"first"
        assert server.connections == 2

    run(scenario())


# --------------------------------------------------------------------------
# bad responses: an httpx error, never a hang


@pytest.mark.parametrize(
    "wire",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["not-http", "status", "length", "two-lengths", "length-and-chunked", "header", "chunk"],
)
def test_malformed_response(run: Run, wire: bytes) -> None:
    async def scenario() -> None:
        error = await get_failure(wire)
        assert isinstance(error, httpx.RemoteProtocolError)

    run(scenario())


@pytest.mark.parametrize("pieces", [1, 3], ids=["one-write", "three-writes"])
def test_head_over_64_kib_is_refused(run: Run, pieces: int) -> None:
    async def scenario() -> None:
        head = response(200, b"ok", "X-Big: " + "b" * MAX_HEAD_BYTES)
        step = -(-len(head) // pieces)
        error = await get_failure(*(head[i : i + step] for i in range(0, len(head), step)))
        assert isinstance(error, httpx.RemoteProtocolError)
        assert "too large" in str(error)

    run(scenario())


def test_a_head_that_never_ends_is_cut_at_64_kib(run: Run) -> None:
    async def scenario() -> None:
        # No end of the head, and the connection stays open: only the cap can stop it.
        endless = [b"HTTP/1.1 200 OK\r\nX-Big: "] + [b"b" * 8192] * (MAX_HEAD_BYTES // 8192 + 1)
        error = await get_failure(*endless)
        assert isinstance(error, httpx.RemoteProtocolError)
        assert "too large" in str(error)

    run(scenario())


def test_a_head_just_under_the_limit_is_accepted(run: Run) -> None:
    async def scenario() -> None:
        # In one write with a body: the read that ends the head goes past 64 KiB.
        wire = response(200, b"x" * 10_000, "X-Big: " + "b" * (MAX_HEAD_BYTES - 100))
        assert len(wire) - 10_000 < MAX_HEAD_BYTES < len(wire)
        got, _ = await get_then_again(wire)
        assert got.content == b"x" * 10_000
        assert len(got.headers["x-big"]) == MAX_HEAD_BYTES - 100

    run(scenario())


@pytest.mark.parametrize("total", [MAX_HEADERS, MAX_HEADERS + 1])
def test_at_most_200_headers(run: Run, total: int) -> None:
    async def scenario() -> None:
        wire = response(200, b"ok", *(f"X-H{i}: {i}" for i in range(total - 1)))  # + length
        if total <= MAX_HEADERS:
            got, _ = await get_then_again(wire)
            assert len(got.headers) == total
        else:
            error = await get_failure(wire)
            assert isinstance(error, httpx.RemoteProtocolError)
            assert "too many" in str(error)

    run(scenario())


def test_eof_before_any_response_byte_on_a_new_connection(run: Run) -> None:
    async def scenario() -> None:
        async with Server(answering([HANG_UP])) as server, client() as http:
            with pytest.raises(httpx.RemoteProtocolError, match="unanswered"):
                await http.post(server.url, content=b"once")
        assert [r.body for r in server.requests] == [b"once"]  # a new connection: no retry
        assert server.connections == 1

    run(scenario())


@pytest.mark.parametrize(
    "pieces",
    [
        (b"HTTP/1.1 200 OK\r\nContent-Le",),
        (response(200, b"", "Content-Length: 10", length=False) + b"only",),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", b"5\r\nwo"),
    ],
    ids=["mid-head", "mid-body", "mid-chunked-body"],
)
def test_eof_mid_response(run: Run, pieces: tuple[bytes, ...]) -> None:
    async def scenario() -> None:
        error = await get_failure(*pieces, HANG_UP)
        assert isinstance(error, httpx.RemoteProtocolError)

    run(scenario())


@pytest.mark.parametrize("upgrade", [True, False])
def test_switching_protocols_is_refused(run: Run, upgrade: bool) -> None:
    async def scenario() -> None:
        headers = ("Upgrade: websocket", "Connection: Upgrade") if upgrade else ()
        error = await get_failure(response(101, b"\x81\x05hello", *headers, length=False))
        assert isinstance(error, httpx.RemoteProtocolError)

    run(scenario())


# --------------------------------------------------------------------------
# timeouts on the wire: waiting for the head, for the body, for the peer to read


def test_read_timeout_waiting_for_the_head(run: Run) -> None:
    async def mute(peer: Peer) -> None:
        await peer.read_request()
        await peer.until_hangup()

    async def scenario() -> None:
        async with Server(mute) as server, client() as http:
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                await http.get(server.url, timeout=httpx.Timeout(2.0, read=0.1))
            assert 0.09 <= time.monotonic() - started < 1.0
            assert await wait_until(lambda: server.hangups == 1)  # dropped, not pooled

    run(scenario())


def test_read_timeout_mid_body(run: Run) -> None:
    async def scenario() -> None:
        partial = response(200, b"", "Content-Length: 10", length=False) + b"half"
        async with Server(answering(partial)) as server, client() as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get(server.url, timeout=httpx.Timeout(2.0, read=0.1))
            assert await wait_until(lambda: server.hangups == 1)

    run(scenario())


def test_write_timeout_when_the_peer_does_not_read(run: Run) -> None:
    async def scenario() -> None:
        reading = asyncio.Event()
        received = 0

        async def deaf(peer: Peer) -> None:
            nonlocal received
            await reading.wait()
            received = len(await peer.until_hangup())

        big = b"x" * (16 * 1024 * 1024)  # more than the socket buffers hold
        async with Server(deaf, receive_buffer=4096) as server, client() as http:
            started = time.monotonic()
            with pytest.raises(httpx.WriteTimeout):
                await http.post(server.url, content=big, timeout=httpx.Timeout(2.0, write=0.1))
            assert time.monotonic() - started < 1.0
            reading.set()
            # The rest of the request was dropped, not left to flush into a peer
            # that may never read (the socket would stay open as long).
            assert await wait_until(lambda: server.hangups == 1)
            assert received < len(big)

    run(scenario())


# --------------------------------------------------------------------------
# flow control


def test_a_large_body_streams_through_aiter_raw(run: Run) -> None:
    async def scenario() -> None:
        size = 2 * 1024 * 1024
        body = bytes(range(256)) * (size // 256)
        async with Server(answering(response(200, body))) as server, client() as http:
            async with http.stream("GET", server.url) as got:
                received = bytearray()
                async for chunk in got.aiter_raw():
                    assert 0 < len(chunk) <= READ_SIZE  # handed over as read, not gathered
                    received += chunk
            assert received == body

    run(scenario())


def test_reading_pauses_while_the_body_waits_unread(run: Run) -> None:
    async def scenario() -> None:
        size = 8 * 1024 * 1024
        body = bytes(range(256)) * (size // 256)
        transport = guarded()
        async with Server(answering(response(200, body))) as server:
            got = await transport.handle_async_request(httpx.Request("GET", server.url))
            try:
                assert isinstance(got.stream, _ResponseBody)  # not read whole with its head
                connection = got.stream._connection
                assert connection is not None
                # Nobody reads: the connection stops reading, one read past the mark at most.
                assert await wait_until(lambda: connection._read_paused)
                assert connection._buffered <= _READ_HIGH_WATER + READ_SIZE
                received = bytearray()
                async for chunk in got.aiter_raw():
                    received += chunk
                assert received == body
                assert not connection._read_paused
            finally:
                await got.aclose()
                await transport.aclose()

    run(scenario())
