"""HttpSignatureAuth: requests signed at send time verify with verify_request."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from federation.auth import HttpSignatureAuth
from federation.errors import KeyNotFoundError
from federation.signatures import verify_request

ALICE = "https://remote.example/users/alice"
ALICE_KEY = f"{ALICE}#main-key"
INBOX = "https://school.example/users/bob/inbox"
ACTIVITY = {"type": "Follow", "actor": ALICE, "object": "https://school.example/users/bob"}


class Recorder:
    """A MockTransport handler that keeps a copy of every request it receives."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(202)


class Clock:
    """Stands in for the ``time`` module inside the signers."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(1_700_000_000.0)
    monkeypatch.setattr("federation.signatures.cavage.time", fake)
    monkeypatch.setattr("federation.signatures.rfc9421.time", fake)
    return fake


async def verify(request: httpx.Request, resolver: Any, now: float) -> Any:
    return await verify_request(
        request.method,
        request.url.raw_path.decode("ascii"),
        request.headers,
        request.content,
        resolver,
        scheme=request.url.scheme,
        now=now,
    )


@pytest.mark.parametrize("scheme", ["draft-cavage", "rfc9421"])
async def test_signed_post_verifies(
    scheme: Any, rsa_keypair: tuple[str, str], make_resolver: Any, clock: Clock
) -> None:
    recorder = Recorder()
    auth = HttpSignatureAuth(ALICE_KEY, rsa_keypair[0], scheme)
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder), auth=auth) as client:
        response = await client.post(
            INBOX, content=json.dumps(ACTIVITY), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 202
    [sent] = recorder.requests
    if scheme == "draft-cavage":
        assert sent.headers["digest"].startswith("SHA-256=")
        assert 'headers="(request-target) host date digest"' in sent.headers["signature"]
    else:
        assert sent.headers["content-digest"].startswith("sha-256=:")
        assert sent.headers["signature-input"].startswith('sig1=("@method" "@target-uri"')
    result = await verify(sent, make_resolver(rsa_keypair[1]), clock.now)
    assert (result.owner, result.scheme) == (ALICE, scheme)


@pytest.mark.parametrize("scheme", ["draft-cavage", "rfc9421"])
def test_signed_get_verifies(
    scheme: Any, rsa_keypair: tuple[str, str], make_resolver: Any, clock: Clock
) -> None:
    import asyncio

    recorder = Recorder()
    auth = HttpSignatureAuth(ALICE_KEY, rsa_keypair[0], scheme)
    with httpx.Client(transport=httpx.MockTransport(recorder), auth=auth) as client:
        client.get(
            "http://127.0.0.1:8001/users/bob?page=1",
            headers={"Accept": "application/activity+json"},
        )
    [sent] = recorder.requests
    assert "digest" not in sent.headers
    assert "content-digest" not in sent.headers
    result = asyncio.run(verify(sent, make_resolver(rsa_keypair[1]), clock.now))
    assert result.key_id == ALICE_KEY


def test_each_send_is_signed_afresh(
    rsa_keypair: tuple[str, str], make_resolver: Any, clock: Clock
) -> None:
    import asyncio

    recorder = Recorder()
    auth = HttpSignatureAuth(ALICE_KEY, rsa_keypair[0])
    with httpx.Client(transport=httpx.MockTransport(recorder), auth=auth) as client:
        request = client.build_request("POST", INBOX, json=ACTIVITY)
        client.send(request)
        first = dict(recorder.requests[-1].headers)
        clock.now += 90  # a retry a minute and a half later
        client.send(request)
        second = dict(recorder.requests[-1].headers)
    assert first["date"] != second["date"]
    assert first["signature"] != second["signature"]
    assert first["digest"] == second["digest"]
    # The re-sent request carries exactly one, fresh Date and verifies on its own.
    assert recorder.requests[-1].headers.get_list("date") == [second["date"]]
    asyncio.run(verify(recorder.requests[-1], make_resolver(rsa_keypair[1]), clock.now))


def test_a_caller_date_is_replaced(rsa_keypair: tuple[str, str], clock: Clock) -> None:
    recorder = Recorder()
    auth = HttpSignatureAuth(ALICE_KEY, rsa_keypair[0])
    with httpx.Client(transport=httpx.MockTransport(recorder), auth=auth) as client:
        client.post(INBOX, json=ACTIVITY, headers={"Date": "Sun, 05 Jan 2014 21:31:40 GMT"})
    [sent] = recorder.requests
    assert sent.headers.get_list("date") == ["Tue, 14 Nov 2023 22:13:20 GMT"]


def test_bad_key_fails_at_construction() -> None:
    with pytest.raises(KeyNotFoundError):
        HttpSignatureAuth(ALICE_KEY, "not a key")


def test_unknown_scheme(rsa_keypair: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="unknown signature scheme"):
        HttpSignatureAuth(ALICE_KEY, rsa_keypair[0], "rfc9999")  # type: ignore[arg-type]


async def test_the_signed_target_is_the_one_on_the_request_line(
    rsa_keypair: tuple[str, str], make_resolver: Any, clock: Clock
) -> None:
    """Escapes and a query are signed as sent, not as a parsed-back URL would spell them."""
    recorder = Recorder()
    auth = HttpSignatureAuth(ALICE_KEY, rsa_keypair[0])
    url = "https://school.example:8443/users/b%C3%B6b/inbox?x=a%20b&y"
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder), auth=auth) as client:
        await client.post(url, content=b"{}")
    [sent] = recorder.requests
    assert sent.url.raw_path == b"/users/b%C3%B6b/inbox?x=a%20b&y"
    assert sent.headers["host"] == "school.example:8443"
    result = await verify(sent, make_resolver(rsa_keypair[1]), clock.now)
    assert result.key_id == ALICE_KEY
