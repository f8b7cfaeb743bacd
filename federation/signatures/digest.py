"""Body digests: ``Digest`` (RFC 3230, draft-cavage) and ``Content-Digest`` (RFC 9530).

A signature covers headers, not the body; the digest header is what ties the
body to the signature. Mastodon sends ``Digest: SHA-256=<base64>``; Fedify's
RFC 9421 requests carry ``Content-Digest: sha-256=:<base64>:``. We accept
SHA-256 and SHA-512 in both and refuse anything weaker or unknown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from typing import Final

from federation.errors import SignatureError
from federation.signatures.structured import (
    InnerList,
    StructuredFieldError,
    parse_dictionary,
)

_HASHES: Final[dict[str, Callable[[bytes], bytes]]] = {
    "sha-256": lambda data: hashlib.sha256(data).digest(),
    "sha-512": lambda data: hashlib.sha512(data).digest(),
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def digest_header(body: bytes) -> str:
    """The ``Digest`` value for ``body``: ``SHA-256=<base64>`` (what Mastodon checks).

    A fan-out signs one body for every inbox: the last digest is kept, and
    found again by identity (the same bytes object) before anything is hashed.
    """
    global _last_digest
    last_body, last_value = _last_digest
    if body is last_body:
        return last_value
    value = "SHA-256=" + _b64(hashlib.sha256(body).digest())
    _last_digest = (body, value)
    return value


_last_digest: tuple[bytes, str] = (b"", "SHA-256=" + _b64(hashlib.sha256(b"").digest()))


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value for ``body``: ``sha-256=:<base64>:``."""
    return "sha-256=:" + _b64(hashlib.sha256(body).digest()) + ":"


def _check(entries: dict[str, bytes], body: bytes, header: str) -> None:
    """Every supported entry must match; at least one must be supported."""
    known = {alg: value for alg, value in entries.items() if alg in _HASHES}
    if not known:
        names = ", ".join(sorted(entries)) or "none"
        raise SignatureError(f"{header} uses an unsupported algorithm ({names})")
    for alg, expected in known.items():
        if not hmac.compare_digest(_HASHES[alg](body), expected):
            raise SignatureError(f"{header} does not match body")


def verify_digest(digest_value: str, body: bytes) -> None:
    """Check a ``Digest`` header against ``body``; raise :class:`SignatureError`.

    The value is a comma-separated list of ``algorithm=base64``; algorithm
    names are case-insensitive (``SHA-256`` and ``sha-256`` both occur).
    """
    entries: dict[str, bytes] = {}
    for part in digest_value.split(","):
        if not part.strip():
            continue  # "a=x, " : an empty list member is not an entry
        alg, sep, encoded = part.strip().partition("=")
        if not sep or not alg:
            raise SignatureError("Digest is malformed")
        try:
            entries[alg.strip().lower()] = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise SignatureError("Digest is malformed") from exc
    _check(entries, body, "Digest")


def verify_content_digest(value: str, body: bytes) -> None:
    """Check a ``Content-Digest`` header against ``body``; raise :class:`SignatureError`."""
    try:
        members = parse_dictionary(value)
    except StructuredFieldError as exc:
        raise SignatureError(f"Content-Digest is malformed: {exc}") from exc
    entries: dict[str, bytes] = {}
    for alg, member in members.items():
        if isinstance(member, InnerList) or not isinstance(member.value, bytes):
            raise SignatureError("Content-Digest is malformed: values must be byte sequences")
        entries[alg] = member.value
    _check(entries, body, "Content-Digest")
