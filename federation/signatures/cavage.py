"""draft-cavage-http-signatures-12: the signature Mastodon and most of the fediverse use.

The sender lists the headers it signed (``headers="(request-target) host date
digest"``), joins ``name: value`` lines with ``\\n`` and signs that string.
We rebuild the same string from the request we received and check it.

Interop notes:

* Mastodon signs POSTs over ``(request-target) host date digest`` with
  ``algorithm="rsa-sha256"`` and refuses anything else, so that is exactly
  what :func:`sign_cavage` produces.
* ``hs2019`` means "look at the key". With an RSA key Mastodon (and most
  servers) mean RSASSA-PKCS1-v1_5 with SHA-256; the draft suggests RSA-PSS
  with SHA-512. We accept both on verification.
* Without a ``headers`` parameter the draft signs only ``date`` (Appendix C.1);
  draft-12 changed the default to ``(created)``, which only ``hs2019`` senders
  use, so that is the default for ``hs2019``.

Policy (which headers must be covered, clock window, digest) lives in
``verify.py``; this module only parses, builds and checks signatures.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.errors import SignatureError
from federation.signatures.digest import digest_header
from federation.signatures.headers import normalize_headers, split_url, wire_bytes
from federation.signatures.keys import (
    Algorithm,
    PrivateKey,
    PublicKey,
    load_private_key,
    sign_bytes,
    signer_for,
    verify_bytes,
)

SUPPORTED_ALGORITHMS = frozenset({"rsa-sha256", "rsa-sha512", "hs2019", "ed25519"})

POST_HEADERS = ("(request-target)", "host", "date", "digest")
GET_HEADERS = ("(request-target)", "host", "date")


@dataclass(frozen=True)
class CavageSignature:
    """A parsed ``Signature`` header (or ``Authorization: Signature ...``)."""

    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: float | None = None

    def header_value(self) -> str:
        """Serialize back to a ``Signature`` header value."""
        parts = [f'keyId="{self.key_id}"']
        if self.algorithm is not None:
            parts.append(f'algorithm="{self.algorithm}"')
        if self.created is not None:
            parts.append(f"created={self.created}")
        if self.expires is not None:
            parts.append(f"expires={_number(self.expires)}")
        parts.append(f'headers="{" ".join(self.headers)}"')
        parts.append(f'signature="{base64.b64encode(self.signature).decode("ascii")}"')
        return ",".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


_BAD_NAME_CHARS = frozenset(' \t,"')


def _split_params(value: str) -> dict[str, str]:
    """Split ``a="x, y", b=1`` into ``{"a": "x, y", "b": "1"}`` (names lowercased).

    Tolerant of spaces around ``,`` and ``=`` and of commas inside quotes.
    """
    params: dict[str, str] = {}
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and value[pos] in " \t,":
            pos += 1
        if pos >= end:
            break
        eq = value.find("=", pos)
        if eq < 0:
            raise SignatureError("Signature header is malformed: expected name=value")
        name = value[pos:eq].strip().lower()
        if not name or not _BAD_NAME_CHARS.isdisjoint(name):
            raise SignatureError("Signature header is malformed: bad parameter name")
        pos = eq + 1
        while pos < end and value[pos] in " \t":
            pos += 1
        close = value.find('"', pos + 1) if pos < end and value[pos] == '"' else -1
        if close >= 0 and "\\" not in value[pos + 1 : close]:
            # The common case, no escapes: slice instead of walking each character.
            text = value[pos + 1 : close]
            pos = close + 1
        elif pos < end and value[pos] == '"':
            pos += 1
            chars: list[str] = []
            while pos < end and value[pos] != '"':
                if value[pos] == "\\" and pos + 1 < end:
                    pos += 1
                chars.append(value[pos])
                pos += 1
            if pos >= end:
                raise SignatureError("Signature header is malformed: unterminated quote")
            pos += 1
            text = "".join(chars)
        else:
            comma = value.find(",", pos)
            comma = end if comma < 0 else comma
            text = value[pos:comma].strip()
            pos = comma
        if name in params:
            raise SignatureError(f"Signature header is malformed: {name} given twice")
        params[name] = text
    return params


def _timestamp(name: str, text: str | None, *, integer: bool) -> float | None:
    if text is None:
        return None
    try:
        number = float(text) if not integer else int(text)
    except ValueError:
        raise SignatureError(f"Signature header is malformed: {name} is not a number") from None
    return number


def parse_signature_header(value: str) -> CavageSignature:
    """Parse a ``Signature`` header value (a leading ``Signature `` scheme is allowed)."""
    value = value.strip()
    if value[:10].lower() == "signature ":
        value = value[10:]
    params = _split_params(value)
    key_id = params.get("keyid")
    encoded = params.get("signature")
    if not key_id:
        raise SignatureError("Signature header has no keyId")
    if not encoded:
        raise SignatureError("Signature header has no signature")
    try:
        signature = base64.b64decode("".join(encoded.split()), validate=True)
    except binascii.Error:
        raise SignatureError("signature is not valid base64") from None
    if not signature:
        raise SignatureError("signature is empty")
    algorithm = params.get("algorithm")
    algorithm = algorithm.strip().lower() if algorithm is not None else None
    created = _timestamp("created", params.get("created"), integer=True)
    expires = _timestamp("expires", params.get("expires"), integer=False)
    if "headers" in params:
        headers = tuple(h.lower() for h in params["headers"].split())
        if not headers:
            raise SignatureError("Signature header lists no headers")
    else:
        headers = ("(created)",) if algorithm == "hs2019" else ("date",)
    return CavageSignature(
        key_id=key_id,
        algorithm=algorithm,
        headers=headers,
        signature=signature,
        created=None if created is None else int(created),
        expires=expires,
    )


def signing_string(
    method: str,
    target: str,
    headers: Mapping[str, str],
    covered: Sequence[str],
    *,
    created: int | None = None,
    expires: float | None = None,
) -> str:
    """Build the string that is signed: one ``name: value`` line per covered header.

    ``headers`` must already be normalized (lowercase names, repeated fields
    joined with ``", "``); see :func:`normalize_headers`. ``target`` is the
    path and query as sent on the request line.
    """
    lines = []
    for name in covered:
        if name == "(request-target)":
            value = f"{method.lower()} {target}"
        elif name == "(created)":
            if created is None:
                raise SignatureError("signature covers (created) but has no created parameter")
            value = str(created)
        elif name == "(expires)":
            if expires is None:
                raise SignatureError("signature covers (expires) but has no expires parameter")
            value = _number(expires)
        elif name.startswith("("):
            raise SignatureError(f"unknown pseudo-header {name} in signature")
        elif name in headers:
            value = headers[name]
        else:
            raise SignatureError(f"signed header {name} is missing from the request")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def candidate_algorithms(algorithm: str | None, key: PublicKey | PrivateKey) -> list[Algorithm]:
    """The primitive algorithms a draft-cavage ``algorithm`` value means for this key."""
    is_rsa = isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey))
    if algorithm is None or algorithm == "hs2019":
        if not is_rsa:
            return ["ed25519"]
        # hs2019 + RSA: Mastodon's PKCS#1 v1.5 / SHA-256 first, the draft's PSS second.
        return ["rsa-v1_5-sha256"] if algorithm is None else ["rsa-v1_5-sha256", "rsa-pss-sha512"]
    if algorithm == "rsa-sha256":
        return ["rsa-v1_5-sha256"]
    if algorithm == "rsa-sha512":
        return ["rsa-v1_5-sha512"]
    if algorithm == "ed25519":
        return ["ed25519"]
    raise SignatureError(f"unsupported signature algorithm {algorithm!r}")


def check_algorithm(algorithm: str | None) -> None:
    """Refuse an unknown ``algorithm`` before any key is fetched."""
    if algorithm is not None and algorithm not in SUPPORTED_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {algorithm!r}")


def verify_cavage_signature(
    signature: CavageSignature,
    method: str,
    target: str,
    headers: Mapping[str, str],
    public_key: PublicKey,
) -> bool:
    """Whether ``signature`` verifies over this request with ``public_key``.

    Only the cryptography: coverage, clock and digest rules are the caller's.
    ``headers`` are normalized (see :func:`normalize_headers`).
    """
    check_algorithm(signature.algorithm)
    data = wire_bytes(
        signing_string(
            method,
            target,
            headers,
            signature.headers,
            created=signature.created,
            expires=signature.expires,
        )
    )
    return any(
        verify_bytes(public_key, alg, data, signature.signature)
        for alg in candidate_algorithms(signature.algorithm, public_key)
    )


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    key_id: str,
    private_key: str | PrivateKey,
    body: bytes | None = None,
    *,
    algorithm: str | None = None,
    covered: Sequence[str] | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """Sign a request; return the headers to add (``Host``, ``Date``, ``Digest``, ``Signature``).

    ``Date`` is added only when ``headers`` has none; ``Digest`` whenever there
    is a body (``body`` not None). By default a request with a body covers
    ``(request-target) host date digest`` (what Mastodon requires), one without
    covers ``(request-target) host date`` plus ``accept`` when present.
    ``algorithm`` defaults to ``rsa-sha256`` for RSA keys and ``hs2019`` for
    Ed25519 keys.
    """
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    _scheme, authority, target = split_url(url)
    current = normalize_headers(headers)
    added: dict[str, str] = {"Host": current.setdefault("host", authority)}
    signed = sign_cavage_target(
        method, target, current, key_id, key, body, algorithm=algorithm, covered=covered, now=now
    )
    return {**added, **signed}


def sign_cavage_target(
    method: str,
    target: str,
    current: dict[str, str],
    key_id: str,
    key: PrivateKey,
    body: bytes | None = None,
    *,
    algorithm: str | None = None,
    covered: Sequence[str] | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """:func:`sign_cavage` for a request already taken apart (``Date``, ``Digest``, ``Signature``).

    ``target`` is the request target as it goes on the request line;
    ``current`` holds the request's headers normalized (at least ``host``) and
    gains the ones added. A sender that knows its own request (one delivery
    of a fan-out) skips parsing its URL and headers back.
    """
    added: dict[str, str] = {}
    if "date" not in current:
        added["Date"] = current["date"] = http_date(time.time() if now is None else now)
    if body is not None:
        added["Digest"] = current["digest"] = digest_header(body)

    if covered is None:
        covered = POST_HEADERS if body is not None else GET_HEADERS
        if body is None and "accept" in current:
            covered = (*covered, "accept")
    covered = tuple(name.lower() for name in covered)

    if algorithm is None:
        algorithm = "rsa-sha256" if isinstance(key, rsa.RSAPrivateKey) else "hs2019"
    check_algorithm(algorithm)
    primitive = candidate_algorithms(algorithm, key)[0]
    created = int(time.time() if now is None else now) if "(created)" in covered else None
    data = wire_bytes(signing_string(method, target, current, covered, created=created))
    signature = CavageSignature(
        key_id=key_id,
        algorithm=algorithm,
        headers=covered,
        signature=sign_bytes(key, primitive, data),
        created=created,
    )
    added["Signature"] = signature.header_value()
    return added


class PostSigner:
    """draft-cavage signatures of POSTs with one key, what is the same each time settled once.

    :func:`sign_cavage_target` works out the algorithm, the padding and the
    header's fixed parameters on every call; a fan-out signs the same
    author's POSTs thousands of times a second, so this does it once per
    key. The result is what :func:`sign_cavage_target` gives for a POST
    (``rsa-sha256`` for RSA keys, ``hs2019`` otherwise).
    """

    def __init__(self, key_id: str, key: PrivateKey) -> None:
        algorithm = "rsa-sha256" if isinstance(key, rsa.RSAPrivateKey) else "hs2019"
        check_algorithm(algorithm)
        self._sign = signer_for(key, candidate_algorithms(algorithm, key)[0])
        unsigned = CavageSignature(key_id, algorithm, POST_HEADERS, b"").header_value()
        self._head = unsigned.removesuffix('"')

    def sign(self, target: str, host: str, body: bytes, now: float | None = None) -> dict[str, str]:
        """``Date``, ``Digest`` and ``Signature`` for a POST of ``body`` to ``target``."""
        date = http_date(time.time() if now is None else now)
        digest = digest_header(body)
        current = {"host": host, "date": date, "digest": digest}
        data = wire_bytes(signing_string("POST", target, current, POST_HEADERS))
        signature = base64.b64encode(self._sign(data)).decode("ascii")
        return {"Date": date, "Digest": digest, "Signature": f'{self._head}{signature}"'}


def http_date(now: float) -> str:
    """``now`` as an HTTP date (IMF-fixdate); a fan-out asks thousands of times a second."""
    global _last_date
    second = int(now)
    if _last_date[0] != second:
        _last_date = (second, formatdate(second, usegmt=True))
    return _last_date[1]


_last_date: tuple[int, str] = (0, formatdate(0, usegmt=True))
