"""``SafeClient.deliver``: a delivery's POST written as bytes, on the one guarded path.

The lean path must keep every promise of :meth:`SafeClient.post`: a
signature the receiver verifies, the SSRF guard (before the request and at
connect time), the federation gate, the size and time limits, reuse of
kept-alive connections, and a 307/308 followed with a fresh signature.
Each scenario runs on asyncio's loop and on uvloop (the ``run`` fixture).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time

import pytest

from federation.auth import HttpSignatureAuth
from federation.client import ClientConfig, SafeClient
from federation.errors import FetchError, HostRefusedError, UnsafeURLError
from federation.signatures import verify_request
from federation.ssrf import IPAddress, is_forbidden_address
from tests.federation.conftest import ALICE, ALICE_KEY, MakeResolver
from tests.support.loopback import (
    HANG_UP,
    Peer,
    Run,
    Server,
    answering,
    closed_port,
    fixed_resolver,
    response,
)

LOCAL = ClientConfig(allow_http=True, allow_private_addresses=True)
BODY = json.dumps({"type": "Create", "actor": ALICE, "object": {"type": "Note"}}).encode()
ACCEPTED = response(202, b"", reason="Accepted")


@pytest.fixture
def signer(rsa_keypair: tuple[str, str]) -> HttpSignatureAuth:
    return HttpSignatureAuth(ALICE_KEY, rsa_keypair[0])


def test_a_delivery_is_signed_and_verifies_at_the_inbox(
    run: Run, signer: HttpSignatureAuth, rsa_keypair: tuple[str, str], make_resolver: MakeResolver
) -> None:
    async def scenario() -> None:
        async with Server(answering(ACCEPTED)) as server, SafeClient(LOCAL) as safe:
            answer = await safe.deliver(f"{server.url}/users/bob/inbox?x=1", BODY, signer)
        assert (answer.status, answer.retry_after) == (202, None)
        [got] = server.requests
        assert (got.method, got.target, got.body) == ("POST", "/users/bob/inbox?x=1", BODY)
        assert got.headers["host"] == f"127.0.0.1:{server.port}"
        assert got.headers["content-type"] == "application/activity+json"
        assert got.headers["user-agent"] == LOCAL.user_agent
        assert 'headers="(request-target) host date digest"' in got.headers["signature"]
        verified = await verify_request(
            got.method, got.target, got.headers, got.body, make_resolver(rsa_keypair[1])
        )
        assert verified.owner == ALICE

    run(scenario())


def test_each_delivery_is_signed_afresh_on_a_kept_alive_connection(
    run: Run, signer: HttpSignatureAuth
) -> None:
    async def scenario() -> None:
        async with Server(answering(ACCEPTED, ACCEPTED)) as server, SafeClient(LOCAL) as safe:
            first = await safe.deliver(f"{server.url}/inbox", BODY, signer)
            second = await safe.deliver(f"{server.url}/users/carol/inbox", BODY, signer)
        assert (first.status, second.status) == (202, 202)
        assert server.connections == 1
        one, two = server.requests
        # The signed (request-target) differs, so the signatures must too.
        assert one.headers["signature"] != two.headers["signature"]

    run(scenario())


def test_retry_after_is_read_off_a_429(run: Run, signer: HttpSignatureAuth) -> None:
    async def scenario() -> None:
        busy = response(429, b"slow down", "Retry-After: 120", reason="Too Many Requests")
        async with Server(answering(busy)) as server, SafeClient(LOCAL) as safe:
            answer = await safe.deliver(f"{server.url}/inbox", BODY, signer)
        assert (answer.status, answer.retry_after) == (429, "120")

    run(scenario())


def test_a_307_is_followed_with_the_body_and_a_new_signature(
    run: Run, signer: HttpSignatureAuth
) -> None:
    async def scenario() -> None:
        async with Server(answering(ACCEPTED)) as final, SafeClient(LOCAL) as safe:
            moved = response(307, b"", f"Location: {final.url}/new-inbox", reason="Moved")
            async with Server(answering(moved, moved)) as old:
                answer = await safe.deliver(f"{old.url}/inbox", BODY, signer)
        assert answer.status == 202
        assert len(old.requests) == 1  # followed from where it pointed, not asked again
        [got] = final.requests
        assert (got.target, got.body) == ("/new-inbox", BODY)
        assert "(request-target)" in got.headers["signature"]

    run(scenario())


def test_a_307_without_a_location_is_the_answer(run: Run, signer: HttpSignatureAuth) -> None:
    async def scenario() -> None:
        moved = response(307, reason="Moved")
        async with SafeClient(LOCAL) as safe, Server(answering(moved)) as server:
            answer = await safe.deliver(f"{server.url}/inbox", BODY, signer)
        assert answer.status == 307
        assert len(server.requests) == 1

    run(scenario())


def test_a_302_is_not_followed(run: Run, signer: HttpSignatureAuth) -> None:
    async def scenario() -> None:
        async with Server(answering(ACCEPTED)) as elsewhere, SafeClient(LOCAL) as safe:
            found = response(302, b"", f"Location: {elsewhere.url}/inbox", reason="Found")
            async with Server(answering(found)) as server:
                answer = await safe.deliver(f"{server.url}/inbox", BODY, signer)
        assert answer.status == 302
        assert elsewhere.requests == []

    run(scenario())


def test_a_loopback_literal_is_refused_before_connecting(
    run: Run, signer: HttpSignatureAuth
) -> None:
    async def scenario() -> None:
        guarded = SafeClient(ClientConfig(allow_http=True))
        async with Server(answering(ACCEPTED)) as server, guarded as safe:
            with pytest.raises(UnsafeURLError):
                await safe.deliver(f"{server.url}/inbox", BODY, signer)
        assert server.connections == 0

    run(scenario())


def test_a_name_resolving_to_a_private_address_is_refused_at_connect(
    run: Run, signer: HttpSignatureAuth
) -> None:
    loopback = ipaddress.ip_address("127.0.0.1")

    def only_loopback_allowed(ip: IPAddress) -> bool:
        return ip != loopback and is_forbidden_address(ip)

    async def scenario() -> None:
        async with Server(answering(ACCEPTED)) as server:
            # The name passes the URL check; the answer with a private address does not.
            resolver = fixed_resolver({"rebound.test": ["127.0.0.1", "10.0.0.7"]})
            config = ClientConfig(allow_http=True)
            async with SafeClient(
                config, resolver=resolver, is_forbidden=only_loopback_allowed
            ) as safe:
                with pytest.raises(UnsafeURLError, match="non-public"):
                    await safe.deliver(f"http://rebound.test:{server.port}/inbox", BODY, signer)
        assert server.connections == 0

    run(scenario())


def test_the_federation_gate_refuses_a_host_before_any_connection(
    run: Run, signer: HttpSignatureAuth
) -> None:
    async def refuse_all(host: str) -> str | None:
        return f"{host} is suspended"

    async def scenario() -> None:
        async with Server(answering(ACCEPTED)) as server, SafeClient(LOCAL) as safe:
            safe.set_host_gate(refuse_all)
            with pytest.raises(HostRefusedError, match="suspended"):
                await safe.deliver(f"{server.url}/inbox", BODY, signer)
        assert server.connections == 0

    run(scenario())


def test_an_answer_past_the_size_cap_is_refused(run: Run, signer: HttpSignatureAuth) -> None:
    async def endless(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
        for _ in range(64):
            await peer.send(chunk)

    async def scenario() -> None:
        config = ClientConfig(
            allow_http=True, allow_private_addresses=True, max_response_bytes=1024
        )
        async with Server(endless) as server, SafeClient(config) as safe:
            with pytest.raises(FetchError, match="too large"):
                await safe.deliver(f"{server.url}/inbox", BODY, signer)
            # The slot came back: the pool is not left a connection short.
            assert not safe._transport._pool._slots.locked()

    run(scenario())


def test_the_total_time_limit_stops_a_drip_fed_answer(run: Run, signer: HttpSignatureAuth) -> None:
    async def drip(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 202 Accepted\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            await peer.send(b" ")
            await asyncio.sleep(0.05)

    async def scenario() -> None:
        config = ClientConfig(allow_http=True, allow_private_addresses=True, total_timeout=0.4)
        started = time.monotonic()
        async with Server(drip) as server, SafeClient(config) as safe:
            with pytest.raises(FetchError, match="timed out"):
                await safe.deliver(f"{server.url}/inbox", BODY, signer)
        assert time.monotonic() - started < 1.5

    run(scenario())


def test_a_silent_inbox_times_out_on_the_read_limit(run: Run, signer: HttpSignatureAuth) -> None:
    async def silent(peer: Peer) -> None:
        await peer.read_request()
        await asyncio.sleep(5)

    async def scenario() -> None:
        config = ClientConfig(allow_http=True, allow_private_addresses=True, read_timeout=0.3)
        started = time.monotonic()
        async with Server(silent) as server, SafeClient(config) as safe:
            with pytest.raises(FetchError, match="timed out"):
                await safe.deliver(f"{server.url}/inbox", BODY, signer)
        assert time.monotonic() - started < 1.5

    run(scenario())


def test_refused_and_hung_up_connections_are_fetch_errors(
    run: Run, signer: HttpSignatureAuth
) -> None:
    async def scenario() -> None:
        async with SafeClient(LOCAL) as safe:
            with pytest.raises(FetchError, match="connection refused"):
                await safe.deliver(f"http://127.0.0.1:{closed_port()}/inbox", BODY, signer)
            async with Server(answering([HANG_UP])) as server:
                with pytest.raises(FetchError, match="protocol error"):
                    await safe.deliver(f"{server.url}/inbox", BODY, signer)

    run(scenario())


def test_an_rfc9421_signer_goes_the_general_way(
    run: Run, rsa_keypair: tuple[str, str], make_resolver: MakeResolver
) -> None:
    rfc9421 = HttpSignatureAuth(ALICE_KEY, rsa_keypair[0], "rfc9421")

    async def scenario() -> None:
        async with Server(answering(ACCEPTED)) as server, SafeClient(LOCAL) as safe:
            answer = await safe.deliver(f"{server.url}/inbox", BODY, rfc9421)
        assert answer.status == 202
        [got] = server.requests
        assert got.headers["signature-input"].startswith('sig1=("@method" "@target-uri"')
        verified = await verify_request(
            got.method, got.target, got.headers, got.body, make_resolver(rsa_keypair[1]),
            scheme="http",
        )  # fmt: skip
        assert verified.scheme == "rfc9421"

    run(scenario())
