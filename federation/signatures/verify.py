"""One entry point to authenticate a signed request: the inbox and signed GETs use it.

``verify_request`` picks the scheme (RFC 9421 when ``Signature-Input`` is
present, else draft-cavage), applies our acceptance rules, and only then
fetches the key, so a request that is refused on its face (stale, body not
matching its digest, headers not covered) costs no outgoing fetch.

Key rotation: when a signature does not verify with the key we have, the
remote may have rotated its key, so the resolver is asked once more with
``refresh=True`` (it refetches the actor) before we give up.

The caller still has to check that the returned ``owner`` is the activity's
``actor``: a valid signature only says who signed, not for whom.

Replays to another server: a signature covers the ``Host`` header
(draft-cavage ``host``; RFC 9421 ``@authority`` or ``@target-uri``, both
derived from it), so a request captured on its way to one server verifies
just as well at any other. Given our own ``authority``, the verifier refuses
a request whose Host names anyone else before it fetches a key.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Literal

from federation.errors import KeyNotFoundError, SignatureError
from federation.signatures import cavage, rfc9421
from federation.signatures.digest import verify_content_digest, verify_digest
from federation.signatures.headers import normalize_authority, normalize_headers
from federation.signatures.keys import PublicKey, PublicKeyInfo, load_public_key

KeyResolver = Callable[[str, bool], Awaitable[PublicKeyInfo]]
"""``(key_id, refresh) -> key``; raises :class:`KeyNotFoundError` when it cannot."""

SignatureScheme = Literal["draft-cavage", "rfc9421"]


@dataclass(frozen=True)
class VerifiedRequest:
    """Who signed a request that passed :func:`verify_request`."""

    key_id: str
    owner: str
    scheme: SignatureScheme


async def verify_request(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes | None,
    resolve_key: KeyResolver,
    *,
    scheme: str = "https",
    now: float | None = None,
    max_skew: int = 3600,
    authority: str | None = None,
) -> VerifiedRequest:
    """Verify the HTTP signature of a received request, or raise :class:`SignatureError`.

    ``target`` is the path and query as received (``/users/alice/inbox?x=1``),
    *not* percent-decoded: in ASGI build it from ``scope["raw_path"]`` and
    ``scope["query_string"]`` (Starlette's ``request.url.path`` is decoded).
    ``scheme`` is how the request reached us (``http`` on a plain-http node),
    used for RFC 9421 ``@target-uri``. Dates and ``created`` more than
    ``max_skew`` seconds away from ``now`` are refused in either direction.
    ``authority`` is our own ``host[:port]``: a request whose Host header (which
    every accepted signature covers) names another is refused.
    """
    current = time.time() if now is None else now
    normalized = normalize_headers(headers)
    if authority is not None:
        check_authority(normalized.get("host"), authority, scheme)
    if "signature-input" in normalized:
        return await _verify_rfc9421(
            method, target, normalized, body, resolve_key, scheme, current, max_skew
        )
    value = normalized.get("signature")
    if value is None:
        authorization = normalized.get("authorization", "")
        if authorization[:10].lower() == "signature ":
            value = authorization
    if value is None:
        raise SignatureError("no Signature header")
    return await _verify_cavage(
        method, target, normalized, body, value, resolve_key, current, max_skew
    )


def check_authority(host: str | None, authority: str, scheme: str) -> None:
    """Refuse a request addressed (and so signed) for another server than ``authority``.

    Compared as RFC 9110 normalizes authorities: case-insensitive, the
    scheme's default port dropped; any other port is part of the host
    (``127.0.0.1:8001`` and ``127.0.0.1:8002`` are two servers).
    """
    if not host:
        raise SignatureError("no Host header")
    if normalize_authority(host, scheme) != normalize_authority(authority, scheme):
        raise SignatureError(
            f"the request is for {host.strip()[:100]!r}, not this server ({authority}): "
            "a signature for another host is not accepted here"
        )


def _check_window(moment: float, now: float, max_skew: int, what: str) -> None:
    if abs(now - moment) > max_skew:
        raise SignatureError(f"{what} is outside the accepted window")


def _check_expires(expires: float | None, now: float) -> None:
    if expires is not None and expires < now:
        raise SignatureError("signature has expired")


def _has_body(body: bytes | None) -> bool:
    return bool(body)


async def _resolve_and_check(
    key_id: str, resolve_key: KeyResolver, verifies: Callable[[PublicKey], bool]
) -> PublicKeyInfo:
    """Verify with the cached key, then once with a refetched one (key rotation)."""
    for refresh in (False, True):
        info = await resolve_key(key_id, refresh)
        try:
            key = load_public_key(info.public_key_pem)
        except KeyNotFoundError:
            if refresh:
                raise
            continue  # a cached key that does not parse: refetch it
        if verifies(key):
            return info
    raise SignatureError("signature does not verify")


async def _verify_cavage(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
    value: str,
    resolve_key: KeyResolver,
    now: float,
    max_skew: int,
) -> VerifiedRequest:
    sig = cavage.parse_signature_header(value)
    cavage.check_algorithm(sig.algorithm)
    covered = set(sig.headers)
    if "(request-target)" not in covered:
        raise SignatureError("signature does not cover (request-target)")
    if "host" not in covered:
        raise SignatureError("signature does not cover host")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("signature does not cover date")
    if _has_body(body) and "digest" not in covered:
        raise SignatureError("signature does not cover digest")
    if "digest" in covered:
        if "digest" not in headers:
            raise SignatureError("Digest header is missing")
        verify_digest(headers["digest"], body or b"")
    if "date" in covered:
        if "date" not in headers:
            raise SignatureError("Date header is missing")
        _check_window(_parse_http_date(headers["date"]), now, max_skew, "Date")
    if "(created)" in covered:
        if sig.created is None:
            raise SignatureError("signature covers (created) but has no created parameter")
        _check_window(sig.created, now, max_skew, "created")
    _check_expires(sig.expires, now)

    def verifies(key: PublicKey) -> bool:
        return cavage.verify_cavage_signature(sig, method, target, headers, key)

    info = await _resolve_and_check(sig.key_id, resolve_key, verifies)
    return VerifiedRequest(key_id=sig.key_id, owner=info.owner, scheme="draft-cavage")


def _rfc9421_policy(
    sig: rfc9421.MessageSignature,
    headers: dict[str, str],
    body: bytes | None,
    now: float,
    max_skew: int,
) -> str:
    """Apply our acceptance rules to one signature; return its key id."""
    sig_input = sig.input
    rfc9421.check_algorithm(sig_input)
    key_id = sig_input.key_id
    if not key_id:
        raise SignatureError("signature has no keyid")
    names = set(sig_input.names)
    if "@method" not in names:
        raise SignatureError("signature does not cover @method")
    if "@target-uri" not in names and not (
        "@authority" in names and ("@path" in names or "@request-target" in names)
    ):
        raise SignatureError("signature does not cover @target-uri")
    if _has_body(body) and not names & {"content-digest", "digest"}:
        raise SignatureError("signature does not cover content-digest")
    if "content-digest" in names:
        if "content-digest" not in headers:
            raise SignatureError("Content-Digest header is missing")
        verify_content_digest(headers["content-digest"], body or b"")
    if "digest" in names:
        if "digest" not in headers:
            raise SignatureError("Digest header is missing")
        verify_digest(headers["digest"], body or b"")
    created = sig_input.created
    if created is None:
        raise SignatureError("signature has no created parameter")
    _check_window(created, now, max_skew, "created")
    _check_expires(sig_input.expires, now)
    return key_id


async def _verify_rfc9421(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
    resolve_key: KeyResolver,
    scheme: str,
    now: float,
    max_skew: int,
) -> VerifiedRequest:
    if "signature" not in headers:
        raise SignatureError("no Signature header")
    signatures = rfc9421.parse_signature_headers(headers["signature-input"], headers["signature"])
    # Several labels may be present (a proxy adds its own): use the first that
    # our rules accept, and report the first refusal if none is acceptable.
    errors: list[SignatureError] = []
    for candidate in signatures:
        try:
            key_id = _rfc9421_policy(candidate, headers, body, now, max_skew)
        except SignatureError as exc:
            errors.append(exc)
            continue
        chosen = candidate
        break
    else:
        raise errors[0]
    request = rfc9421.RequestParts.from_request(method, target, headers, scheme)

    def verifies(key: PublicKey) -> bool:
        return rfc9421.verify_message_signature(chosen, request, key)

    info = await _resolve_and_check(key_id, resolve_key, verifies)
    return VerifiedRequest(key_id=key_id, owner=info.owner, scheme="rfc9421")


@lru_cache(maxsize=512)
def _parse_http_date(value: str) -> float:
    """Cached: a burst of requests shares a handful of Date values."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise SignatureError("Date header is not a valid HTTP date") from None
    return moment.timestamp() if moment.tzinfo else moment.replace(tzinfo=UTC).timestamp()


def key_id_of(headers: Mapping[str, str]) -> str | None:
    """The key id a request claims, unverified (None when there is none or it is malformed).

    For decisions that must come before any work, such as refusing a blocked
    domain: the signature check that follows proves the claim.
    """
    normalized = normalize_headers(headers)
    try:
        if "signature-input" in normalized:
            parsed = rfc9421.parse_signature_headers(
                normalized["signature-input"], normalized.get("signature", "")
            )
            return parsed[0].input.key_id if parsed else None
        value = normalized.get("signature") or normalized.get("authorization", "")
        if not value or ("signature" not in normalized and value[:10].lower() != "signature "):
            return None
        return cavage.parse_signature_header(value).key_id
    except SignatureError:
        return None
