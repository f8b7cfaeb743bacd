"""Signatures under fuzz: any header, parameter, date or digest is a 4xx, never a crash."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from federation.errors import FederationError, KeyNotFoundError
from federation.signatures import PublicKeyInfo, generate_rsa_keypair, sign_cavage, sign_rfc9421
from federation.signatures.verify import verify_request
from tests.fuzz.conftest import examples

URL = "https://school.example/inbox"
KEY_ID = "https://remote.example/users/eve#main-key"
BODY = b'{"type": "Create"}'


@cache
def keys() -> tuple[str, str]:
    return generate_rsa_keypair()


async def resolve(key_id: str, _refresh: bool) -> PublicKeyInfo:
    if key_id != KEY_ID:
        raise KeyNotFoundError("unknown key")
    return PublicKeyInfo(
        key_id=KEY_ID, owner="https://remote.example/users/eve", public_key_pem=keys()[1]
    )


def signed(scheme: str) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    return {**headers, **sign("POST", URL, dict(headers), KEY_ID, keys()[0], BODY)}


JUNK = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            'keyId="x",headers="(request-target) host",signature="AAAA"',
            'keyId="https://remote.example/users/eve#main-key",algorithm="hs2019",headers="",signature=""',
            'sig1=("@method" "@target-uri");created=1;keyid="k"',
            'sig1=("@method";bs "@authority";sf);created=-1',
            "sig1=:AAAA:, sig2=:####:",
            "SHA-256=!!!!",
            "sha-256=:AAAA:",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "yesterday",
            "9" * 40,
        ]
    ),
)
COVERED = {
    "cavage": ("signature", "date", "digest", "host"),
    "rfc9421": ("signature", "signature-input", "content-digest", "host"),
}
HEADERS = (
    "signature",
    "signature-input",
    "date",
    "digest",
    "content-digest",
    "host",
    "authorization",
)


@settings(max_examples=examples(6))
@given(
    st.sampled_from(["cavage", "rfc9421"]),
    st.dictionaries(st.sampled_from(HEADERS), JUNK, max_size=3),
    st.lists(st.sampled_from(HEADERS), max_size=2),
    st.one_of(st.just(BODY), st.binary(max_size=40)),
    st.sampled_from(["/inbox", "/inbox?x=1", "", "/%00", "*"]),
)
async def test_any_signature_is_verified_or_refused(
    scheme: str, replaced: dict[str, str], dropped: list[str], body: bytes, target: str
) -> None:
    original = {k.lower(): v for k, v in signed(scheme).items()}
    headers: dict[str, Any] = {**original, **replaced}
    for name in dropped:
        headers.pop(name, None)
    try:
        result = await verify_request(
            "POST", target, headers, body, resolve, authority="school.example", now=time.time()
        )
    except FederationError as refusal:
        assert 400 <= refusal.status < 500, refusal  # noqa: PT017 (any 4xx will do)
        assert refusal.reason  # noqa: PT017
        return
    # Only an intact request verifies: body, target and every covered header as signed.
    assert result.key_id == KEY_ID
    assert body == BODY and target == "/inbox"
    for name in COVERED[scheme]:
        assert headers.get(name) == original.get(name), name
