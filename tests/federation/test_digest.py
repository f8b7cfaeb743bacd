"""Digest (RFC 3230) and Content-Digest (RFC 9530) headers."""

from __future__ import annotations

import pytest

from federation.errors import SignatureError
from federation.signatures.digest import (
    content_digest_header,
    digest_header,
    verify_content_digest,
    verify_digest,
)

BODY = b'{"hello": "world"}'
# The digests of BODY as printed in draft-cavage-12 Appendix C and RFC 9530 / RFC 9421.
SHA256_B64 = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
SHA512_B64 = (
    "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="
)


def test_digest_header_is_what_mastodon_expects() -> None:
    assert digest_header(BODY) == f"SHA-256={SHA256_B64}"


def test_content_digest_header_matches_rfc_9530_example() -> None:
    assert content_digest_header(BODY) == f"sha-256=:{SHA256_B64}:"


@pytest.mark.parametrize(
    "value",
    [
        f"SHA-256={SHA256_B64}",
        f"sha-256={SHA256_B64}",
        f"SHA-512={SHA512_B64}",
        f"SHA-256={SHA256_B64}, SHA-512={SHA512_B64}",
        f"MD5=XrY7u+Ae7tCTyyK7j1rNww==,SHA-256={SHA256_B64}",  # unknown entries are skipped
    ],
)
def test_verify_digest_accepts(value: str) -> None:
    verify_digest(value, BODY)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (f"SHA-256={SHA256_B64}", "Digest does not match body"),
        (f"SHA-256={SHA256_B64}, SHA-512={SHA512_B64}", "Digest does not match body"),
        ("MD5=XrY7u+Ae7tCTyyK7j1rNww==", "Digest uses an unsupported algorithm (md5)"),
        ("SHA-256", "Digest is malformed"),
        ("SHA-256=not base64!", "Digest is malformed"),
    ],
)
def test_verify_digest_refuses(value: str, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        verify_digest(value, b'{"hello": "mallory"}' if "match" in reason else BODY)
    assert info.value.reason == reason
    assert info.value.status == 401


def test_verify_digest_refuses_when_one_of_two_supported_entries_is_wrong() -> None:
    wrong = digest_header(b"other").removeprefix("SHA-256=")
    with pytest.raises(SignatureError, match="does not match"):
        verify_digest(f"SHA-256={wrong}, SHA-512={SHA512_B64}", BODY)


@pytest.mark.parametrize(
    "value",
    [
        f"sha-256=:{SHA256_B64}:",
        f"sha-512=:{SHA512_B64}:",
        f"sha-512=:{SHA512_B64}:, sha-256=:{SHA256_B64}:",
        f"unixsum=:MTIz:, sha-256=:{SHA256_B64}:",
    ],
)
def test_verify_content_digest_accepts(value: str) -> None:
    verify_content_digest(value, BODY)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("sha-256=:" + SHA256_B64 + ":", "Content-Digest does not match body"),
        ("md5=:XrY7u+Ae7tCTyyK7j1rNww==:", "Content-Digest uses an unsupported algorithm (md5)"),
        ("SHA-256=" + SHA256_B64, "Content-Digest is malformed"),
        ('sha-256="' + SHA256_B64 + '"', "Content-Digest is malformed"),
    ],
)
def test_verify_content_digest_refuses(value: str, reason: str) -> None:
    body = b"tampered" if "match" in reason else BODY
    with pytest.raises(SignatureError) as info:
        verify_content_digest(value, body)
    assert info.value.reason.startswith(reason)
