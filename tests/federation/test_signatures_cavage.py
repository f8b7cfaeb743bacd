"""draft-cavage-http-signatures-12: the Appendix C vectors, round trips and every refusal rule."""

from __future__ import annotations

import base64
from email.utils import formatdate
from typing import Any

import pytest
from starlette.datastructures import Headers

from federation.errors import KeyNotFoundError, SignatureError
from federation.signatures import (
    PublicKeyInfo,
    VerifiedRequest,
    load_private_key,
    load_public_key,
    parse_signature_header,
    public_key_pem,
    sign_cavage,
    signing_string,
    verify_cavage_signature,
    verify_request,
)
from federation.signatures.cavage import PostSigner, http_date, sign_cavage_target
from federation.signatures.headers import normalize_headers
from federation.signatures.keys import sign_bytes

ALICE = "https://remote.example/users/alice"
ALICE_KEY = f"{ALICE}#main-key"
INBOX = "https://school.example/users/bob/inbox"

# --- draft-cavage-http-signatures-12, Appendix C -------------------------------------------

# The RSA test key of Appendix C (a 1024-bit key; PKCS#1 PEM as published).
SPEC_PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""
SPEC_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""
SPEC_URL = "http://example.com/foo?param=value&pet=dog"
SPEC_TARGET = "/foo?param=value&pet=dog"
SPEC_BODY = b'{"hello": "world"}'
SPEC_HEADERS = {
    "Host": "example.com",
    "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}

DEFAULT_SIGNATURE = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEE"
    "aDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
BASIC_SIGNATURE = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw"
    "3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
ALL_HEADERS_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q5"
    "2LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)


def spec_headers() -> dict[str, str]:
    return normalize_headers(SPEC_HEADERS)


def test_spec_public_key_is_the_public_half_of_the_spec_private_key() -> None:
    assert public_key_pem(load_private_key(SPEC_PRIVATE_KEY)) == SPEC_PUBLIC_KEY


def test_c1_default_test() -> None:
    """C.1: no ``headers`` parameter means only ``date`` is signed."""
    header = f'keyId="Test",algorithm="rsa-sha256",signature="{DEFAULT_SIGNATURE}"'
    parsed = parse_signature_header(header)
    assert parsed.headers == ("date",)
    text = signing_string("POST", SPEC_TARGET, spec_headers(), parsed.headers)
    assert text == "date: Sun, 05 Jan 2014 21:31:40 GMT"
    signature = sign_bytes(load_private_key(SPEC_PRIVATE_KEY), "rsa-v1_5-sha256", text.encode())
    assert base64.b64encode(signature).decode() == DEFAULT_SIGNATURE
    public = load_public_key(SPEC_PUBLIC_KEY)
    assert verify_cavage_signature(parsed, "POST", SPEC_TARGET, spec_headers(), public)


def test_c2_basic_test() -> None:
    """C.2: ``(request-target) host date``, reproduced through ``sign_cavage``."""
    added = sign_cavage(
        "POST",
        SPEC_URL,
        SPEC_HEADERS,
        "Test",
        SPEC_PRIVATE_KEY,
        covered=["(request-target)", "host", "date"],
    )
    assert added["Signature"] == (
        'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",'
        f'signature="{BASIC_SIGNATURE}"'
    )
    expected = (
        "(request-target): post /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT"
    )
    covered = ("(request-target)", "host", "date")
    assert signing_string("POST", SPEC_TARGET, spec_headers(), covered) == expected
    # The header exactly as printed in the draft (with a space after a comma).
    printed = (
        'keyId="Test",algorithm="rsa-sha256",\n   headers="(request-target) host date", '
        f'signature="{BASIC_SIGNATURE}"'
    )
    public = load_public_key(SPEC_PUBLIC_KEY)
    assert verify_cavage_signature(
        parse_signature_header(printed), "POST", SPEC_TARGET, spec_headers(), public
    )


def test_c3_all_headers_test() -> None:
    """C.3: every header plus the body digest.

    Draft-12 printed the header list with ``(created) (expires)`` and a signing
    string containing them, but kept the signature from draft-10, which covers
    the same list without those two pseudo-headers. We check the signing string
    draft-12 prints, and reproduce the published signature over the list it was
    actually computed from.
    """
    text = signing_string(
        "POST",
        SPEC_TARGET,
        spec_headers(),
        (
            "(request-target)",
            "(created)",
            "(expires)",
            "host",
            "date",
            "content-type",
            "digest",
            "content-length",
        ),
        created=1402170695,
        expires=1402170699,
    )
    assert text == (
        "(request-target): post /foo?param=value&pet=dog\n"
        "(created): 1402170695\n"
        "(expires): 1402170699\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT\n"
        "content-type: application/json\n"
        "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\n"
        "content-length: 18"
    )
    headers = {k: v for k, v in SPEC_HEADERS.items() if k != "Digest"}  # sign_cavage computes it
    added = sign_cavage(
        "POST",
        SPEC_URL,
        headers,
        "Test",
        SPEC_PRIVATE_KEY,
        SPEC_BODY,
        covered=["(request-target)", "host", "date", "content-type", "digest", "content-length"],
    )
    assert added["Digest"] == SPEC_HEADERS["Digest"]
    assert added["Signature"].endswith(f'signature="{ALL_HEADERS_SIGNATURE}"')

    public = load_public_key(SPEC_PUBLIC_KEY)
    draft_12_header = (
        'keyId="Test",algorithm="rsa-sha256",created=1402170695, expires=1402170699,'
        'headers="(request-target) (created) (expires) host date content-type digest '
        f'content-length",signature="{ALL_HEADERS_SIGNATURE}"'
    )
    parsed = parse_signature_header(draft_12_header)
    assert (parsed.created, parsed.expires) == (1402170695, 1402170699)
    assert not verify_cavage_signature(parsed, "POST", SPEC_TARGET, spec_headers(), public)


def test_authorization_scheme_prefix_is_accepted() -> None:
    parsed = parse_signature_header(
        f'Signature keyId="Test",algorithm="rsa-sha256",signature="{DEFAULT_SIGNATURE}"'
    )
    assert parsed.key_id == "Test"


# --- the Signature header parser ---------------------------------------------------------


def test_parser_tolerates_spaces_and_quoted_commas() -> None:
    parsed = parse_signature_header(
        ' keyId = "https://a.example/u/x#key,1" ,  algorithm="RSA-SHA256",'
        ' headers="(request-target)  Host date",signature="AAEC", extra="ignored, really"'
    )
    assert parsed.key_id == "https://a.example/u/x#key,1"
    assert parsed.algorithm == "rsa-sha256"
    assert parsed.headers == ("(request-target)", "host", "date")
    assert parsed.signature == b"\x00\x01\x02"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ('algorithm="rsa-sha256",signature="AAEC"', "Signature header has no keyId"),
        ('keyId="k",algorithm="rsa-sha256"', "Signature header has no signature"),
        (
            'keyId="k",keyId="j",signature="AAEC"',
            "Signature header is malformed: keyid given twice",
        ),
        ('keyId="k,signature=AAEC', "Signature header is malformed: unterminated quote"),
        ('keyId="k" signature', "Signature header is malformed: expected name=value"),
        ('keyId="k",signature="!!not-base64!!"', "signature is not valid base64"),
        ('keyId="k",headers="",signature="AAEC"', "Signature header lists no headers"),
        ('keyId="k",created=soon,signature="AAEC"', "Signature header is malformed: created"),
    ],
)
def test_parser_refuses(header: str, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        parse_signature_header(header)
    assert info.value.reason.startswith(reason)


# --- round trips through verify_request --------------------------------------------------

NOW = 1_700_000_000.0
ACTIVITY = b'{"type": "Follow", "actor": "https://remote.example/users/alice"}'


def post_headers(private_pem: str, body: bytes = ACTIVITY, **kwargs: Any) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_cavage("POST", INBOX, headers, ALICE_KEY, private_pem, body, now=NOW, **kwargs)
    return headers


async def test_post_round_trip(rsa_keypair: tuple[str, str], make_resolver) -> None:
    private_pem, public_pem = rsa_keypair
    headers = post_headers(private_pem)
    assert headers["Host"] == "school.example"
    assert headers["Date"] == formatdate(NOW, usegmt=True)
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    assert 'algorithm="rsa-sha256"' in headers["Signature"]
    resolver = make_resolver(public_pem)
    result = await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)
    assert result == VerifiedRequest(key_id=ALICE_KEY, owner=ALICE, scheme="draft-cavage")
    assert resolver.calls == [(ALICE_KEY, False)]


async def test_get_round_trip_covers_accept(rsa_keypair: tuple[str, str], make_resolver) -> None:
    private_pem, public_pem = rsa_keypair
    url = "https://school.example/users/bob/outbox?page=2"
    headers = {"Accept": "application/activity+json"}
    headers |= sign_cavage("GET", url, headers, ALICE_KEY, private_pem, now=NOW)
    assert "Digest" not in headers
    assert 'headers="(request-target) host date accept"' in headers["Signature"]
    result = await verify_request(
        "GET", "/users/bob/outbox?page=2", headers, None, make_resolver(public_pem), now=NOW
    )
    assert result.owner == ALICE


async def test_get_without_accept(rsa_keypair: tuple[str, str], make_resolver) -> None:
    private_pem, public_pem = rsa_keypair
    headers = sign_cavage("GET", "https://school.example/u", {}, ALICE_KEY, private_pem, now=NOW)
    assert 'headers="(request-target) host date"' in headers["Signature"]
    await verify_request("GET", "/u", headers, b"", make_resolver(public_pem), now=NOW)


async def test_authorization_header_round_trip(rsa_keypair: tuple[str, str], make_resolver) -> None:
    private_pem, public_pem = rsa_keypair
    headers = post_headers(private_pem)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    result = await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(public_pem), now=NOW
    )
    assert result.scheme == "draft-cavage"


async def test_ports_are_part_of_host(rsa_keypair: tuple[str, str], make_resolver) -> None:
    private_pem, public_pem = rsa_keypair
    headers = sign_cavage(
        "POST", "http://127.0.0.1:8001/inbox", {}, ALICE_KEY, private_pem, ACTIVITY, now=NOW
    )
    assert headers["Host"] == "127.0.0.1:8001"
    await verify_request("POST", "/inbox", headers, ACTIVITY, make_resolver(public_pem), now=NOW)


async def test_hs2019_with_rsa_key(rsa_keypair: tuple[str, str], make_resolver) -> None:
    private_pem, public_pem = rsa_keypair
    headers = post_headers(private_pem, algorithm="hs2019")
    assert 'algorithm="hs2019"' in headers["Signature"]
    await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(public_pem), now=NOW
    )


async def test_hs2019_with_rsa_pss_signature(rsa_keypair: tuple[str, str], make_resolver) -> None:
    """The draft's reading of hs2019 + RSA (PSS, SHA-512) is accepted too."""
    private_pem, public_pem = rsa_keypair
    headers = post_headers(private_pem, algorithm="hs2019")
    covered = ("(request-target)", "host", "date", "digest")
    text = signing_string("POST", "/users/bob/inbox", normalize_headers(headers), covered)
    pss = sign_bytes(load_private_key(private_pem), "rsa-pss-sha512", text.encode())
    headers["Signature"] = (
        f'keyId="{ALICE_KEY}",algorithm="hs2019",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(pss).decode()}"'
    )
    await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(public_pem), now=NOW
    )


async def test_created_instead_of_date(rsa_keypair: tuple[str, str], make_resolver) -> None:
    private_pem, public_pem = rsa_keypair
    headers = post_headers(
        private_pem, algorithm="hs2019", covered=["(request-target)", "(created)", "host", "digest"]
    )
    assert f"created={int(NOW)}" in headers["Signature"]
    await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(public_pem), now=NOW + 60
    )
    with pytest.raises(SignatureError, match="created is outside the accepted window"):
        await verify_request(
            "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(public_pem), now=NOW + 4000
        )


async def test_ed25519_key(make_resolver) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    headers = sign_cavage("POST", INBOX, {}, ALICE_KEY, key, ACTIVITY, now=NOW)
    assert 'algorithm="hs2019"' in headers["Signature"]
    resolver = make_resolver(public_key_pem(key))
    await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)


async def test_repeated_header_lines_are_joined(
    rsa_keypair: tuple[str, str], make_resolver
) -> None:
    """Starlette's ``Headers[...]`` returns the first line only; the signer saw them joined."""
    private_pem, public_pem = rsa_keypair
    signed = {"Accept": "application/activity+json, application/ld+json"}
    signed |= sign_cavage(
        "GET", "https://school.example/u", signed, ALICE_KEY, private_pem, now=NOW
    )
    raw = [(k.lower().encode(), v.encode()) for k, v in signed.items() if k != "Accept"]
    raw += [(b"accept", b"application/activity+json"), (b"accept", b"application/ld+json")]
    await verify_request("GET", "/u", Headers(raw=raw), None, make_resolver(public_pem), now=NOW)


# --- refusals ----------------------------------------------------------------------------


async def refused(
    headers: dict[str, str], resolver, body: bytes | None = ACTIVITY, now: float = NOW
) -> str:
    with pytest.raises(SignatureError) as info:
        await verify_request("POST", "/users/bob/inbox", headers, body, resolver, now=now)
    assert info.value.status == 401
    return info.value.reason


async def test_no_signature_header(make_resolver) -> None:
    reason = await refused({"Host": "school.example"}, make_resolver(None))
    assert reason == "no Signature header"


@pytest.mark.parametrize(
    ("covered", "reason"),
    [
        (["host", "date", "digest"], "signature does not cover (request-target)"),
        (["(request-target)", "date", "digest"], "signature does not cover host"),
        (["(request-target)", "host", "digest"], "signature does not cover date"),
        (["(request-target)", "host", "date"], "signature does not cover digest"),
    ],
)
async def test_missing_coverage(
    covered: list[str], reason: str, rsa_keypair: tuple[str, str], make_resolver
) -> None:
    resolver = make_resolver(rsa_keypair[1])
    headers = post_headers(rsa_keypair[0], covered=covered)
    assert await refused(headers, resolver) == reason
    assert resolver.calls == []  # refused before any key fetch


async def test_tampered_body(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    reason = await refused(headers, make_resolver(rsa_keypair[1]), body=ACTIVITY + b" ")
    assert reason == "Digest does not match body"


async def test_bad_digest_header(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    headers["Digest"] = "SHA-256=" + base64.b64encode(b"\x00" * 32).decode()
    assert await refused(headers, make_resolver(rsa_keypair[1])) == "Digest does not match body"


async def test_signed_digest_header_missing(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    del headers["Digest"]
    assert await refused(headers, make_resolver(rsa_keypair[1])) == "Digest header is missing"


async def test_stale_date(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    reason = await refused(headers, make_resolver(rsa_keypair[1]), now=NOW + 3601)
    assert reason == "Date is outside the accepted window"


async def test_future_date(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    reason = await refused(headers, make_resolver(rsa_keypair[1]), now=NOW - 3601)
    assert reason == "Date is outside the accepted window"


async def test_date_inside_window(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    for now in (NOW - 3600, NOW + 3600):
        await verify_request(
            "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(rsa_keypair[1]), now=now
        )


async def test_unparseable_date(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    headers["Date"] = "yesterday"
    assert await refused(headers, make_resolver(rsa_keypair[1])) == (
        "Date header is not a valid HTTP date"
    )


async def test_expired(rsa_keypair: tuple[str, str], make_resolver) -> None:
    private_pem, public_pem = rsa_keypair
    headers = post_headers(private_pem)
    covered = ("(request-target)", "host", "date", "digest", "(expires)")
    expires = int(NOW) - 1
    text = signing_string(
        "POST", "/users/bob/inbox", normalize_headers(headers), covered, expires=expires
    )
    sig = sign_bytes(load_private_key(private_pem), "rsa-v1_5-sha256", text.encode())
    headers["Signature"] = (
        f'keyId="{ALICE_KEY}",algorithm="rsa-sha256",expires={expires},'
        f'headers="{" ".join(covered)}",signature="{base64.b64encode(sig).decode()}"'
    )
    assert await refused(headers, make_resolver(public_pem)) == "signature has expired"
    # One second earlier the same signature is fine: the refusal is the expiry, not the bytes.
    await verify_request(
        "POST", "/users/bob/inbox", headers, ACTIVITY, make_resolver(public_pem), now=expires
    )


async def test_unknown_algorithm(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "hmac-sha256")
    resolver = make_resolver(rsa_keypair[1])
    assert await refused(headers, resolver) == "unsupported signature algorithm 'hmac-sha256'"
    assert resolver.calls == []


async def test_garbage_base64(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    start = headers["Signature"].index('signature="')
    headers["Signature"] = headers["Signature"][:start] + 'signature="@@not base64@@"'
    assert await refused(headers, make_resolver(rsa_keypair[1])) == "signature is not valid base64"


async def test_bad_signature_refetches_key_once(
    rsa_keypair: tuple[str, str], other_rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = post_headers(other_rsa_keypair[0])  # signed with a key the actor does not have
    resolver = make_resolver(rsa_keypair[1])
    assert await refused(headers, resolver) == "signature does not verify"
    assert resolver.calls == [(ALICE_KEY, False), (ALICE_KEY, True)]


async def test_success_after_key_rotation(
    rsa_keypair: tuple[str, str], other_rsa_keypair: tuple[str, str], make_resolver
) -> None:
    old_public = rsa_keypair[1]
    new_private, new_public = other_rsa_keypair
    headers = post_headers(new_private)
    resolver = make_resolver(old_public, new_public)
    result = await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)
    assert result.owner == ALICE
    assert resolver.calls == [(ALICE_KEY, False), (ALICE_KEY, True)]


async def test_cached_key_that_does_not_parse_is_refetched(
    rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = post_headers(rsa_keypair[0])
    resolver = make_resolver("not a pem", rsa_keypair[1])
    await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)
    assert resolver.calls == [(ALICE_KEY, False), (ALICE_KEY, True)]


async def test_unknown_key_is_a_401(rsa_keypair: tuple[str, str], make_resolver) -> None:
    headers = post_headers(rsa_keypair[0])
    resolver = make_resolver(rsa_keypair[1], key_id="https://elsewhere.example/key")
    with pytest.raises(KeyNotFoundError) as info:
        await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolver, now=NOW)
    assert info.value.status == 401


async def test_signature_over_other_target_does_not_verify(
    rsa_keypair: tuple[str, str], make_resolver
) -> None:
    headers = post_headers(rsa_keypair[0])
    resolver = make_resolver(rsa_keypair[1])
    with pytest.raises(SignatureError, match="signature does not verify"):
        await verify_request("POST", "/users/carol/inbox", headers, ACTIVITY, resolver, now=NOW)


async def test_resolver_receives_key_id_and_owner_comes_back(
    rsa_keypair: tuple[str, str],
) -> None:
    seen: list[tuple[str, bool]] = []

    async def resolve(key_id: str, refresh: bool) -> PublicKeyInfo:
        seen.append((key_id, refresh))
        return PublicKeyInfo(key_id, "https://remote.example/users/someone-else", rsa_keypair[1])

    headers = post_headers(rsa_keypair[0])
    result = await verify_request("POST", "/users/bob/inbox", headers, ACTIVITY, resolve, now=NOW)
    assert result.owner == "https://remote.example/users/someone-else"
    assert seen == [(ALICE_KEY, False)]


def test_http_date_is_the_imf_fixdate_of_each_second() -> None:
    """The per-second cache never hands out a neighbouring second's date."""
    for now in (0.0, 1_700_000_000.0, 1_700_000_000.999, 1_700_000_001.0, 1_700_000_000.5):
        assert http_date(now) == formatdate(int(now), usegmt=True)


def test_a_post_signer_signs_exactly_as_sign_cavage_target(rsa_keypair: tuple[str, str]) -> None:
    """The fan-out's signer (fixed parts settled once) must not drift from the general one."""
    key = load_private_key(rsa_keypair[0])
    now = 1_700_000_000.0
    body = b'{"type":"Create"}'
    fast = PostSigner(ALICE_KEY, key).sign("/users/bob/inbox?x=1", "school.example", body, now)
    general = sign_cavage_target(
        "POST", "/users/bob/inbox?x=1", {"host": "school.example"}, ALICE_KEY, key, body, now=now
    )
    assert fast == general  # PKCS#1 v1.5 is deterministic: same input, same signature
