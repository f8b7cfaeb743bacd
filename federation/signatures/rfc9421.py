"""RFC 9421 HTTP Message Signatures: what Fedify sends first (before draft-cavage).

A request carries ``Signature-Input: sig1=("@method" "@target-uri" ...);created=...;keyid="..."``
and ``Signature: sig1=:<base64>:``. The signed bytes (the *signature base*)
are one ``"component": value`` line per covered component, then the
``"@signature-params"`` line, which is the serialized inner list itself.

We derive the request components a server can know (``@method``,
``@target-uri``, ``@authority``, ``@scheme``, ``@request-target``, ``@path``,
``@query``, ``@query-param``) and plain header fields. Response-only
components and field parameters (``sf``, ``bs``, ``key``, ``req``, ``tr``)
are refused: no peer we talk to uses them, and guessing would be worse.

Algorithms: ``rsa-v1_5-sha256`` (Fedify's), ``rsa-pss-sha512`` and
``ed25519``. Without ``alg`` the key decides: an RSA key is tried as
``rsa-v1_5-sha256`` (as Fedify does) and then ``rsa-pss-sha512`` (as the RFC's
own examples use).

Policy (required components, clock window, digest) lives in ``verify.py``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final
from urllib.parse import unquote_to_bytes

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.errors import SignatureError
from federation.signatures.digest import content_digest_header
from federation.signatures.headers import (
    normalize_authority,
    normalize_headers,
    split_url,
    wire_bytes,
)
from federation.signatures.keys import (
    Algorithm,
    PrivateKey,
    PublicKey,
    default_algorithm,
    load_private_key,
    sign_bytes,
    verify_bytes,
)
from federation.signatures.structured import (
    InnerList,
    Item,
    Parameters,
    StructuredFieldError,
    parse_dictionary,
    serialize_inner_list,
    serialize_item,
)

SUPPORTED_ALGORITHMS: Final = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})

DERIVED_COMPONENTS: Final = frozenset(
    {
        "@method",
        "@target-uri",
        "@authority",
        "@scheme",
        "@request-target",
        "@path",
        "@query",
        "@query-param",
    }
)

POST_COMPONENTS: Final = ("@method", "@target-uri", "@authority", "host", "date", "content-digest")
GET_COMPONENTS: Final = ("@method", "@target-uri", "@authority", "host", "date")


@dataclass(frozen=True)
class RequestParts:
    """What a signature base is built from: the request as the server saw it.

    ``target`` is path + query as on the request line; ``authority`` is the
    normalized Host; ``headers`` are normalized (lowercase names, repeated
    fields joined with ``", "``).
    """

    method: str
    scheme: str
    authority: str
    target: str
    headers: Mapping[str, str]

    @classmethod
    def from_request(
        cls, method: str, target: str, headers: Mapping[str, str], scheme: str = "https"
    ) -> RequestParts:
        """Build from a received request; the authority comes from its Host header."""
        normalized = normalize_headers(headers)
        host = normalized.get("host", "")
        return cls(method, scheme.lower(), normalize_authority(host, scheme), target, normalized)

    @classmethod
    def from_url(cls, method: str, url: str, headers: Mapping[str, str]) -> RequestParts:
        """Build for a request we are about to send to ``url``."""
        scheme, authority, target = split_url(url)
        return cls(method, scheme, authority, target, normalize_headers(headers))


@dataclass(frozen=True)
class SignatureInput:
    """One member of ``Signature-Input``: covered components plus parameters."""

    label: str
    components: tuple[Item, ...]
    params: Parameters

    @property
    def names(self) -> tuple[str, ...]:
        """The covered component names, e.g. ``("@method", "content-digest")``."""
        return tuple(str(item.value) for item in self.components)

    @property
    def key_id(self) -> str | None:
        value = self.params.get("keyid")
        return value if isinstance(value, str) else None

    @property
    def algorithm(self) -> str | None:
        value = self.params.get("alg")
        return value if isinstance(value, str) else None

    @property
    def created(self) -> int | None:
        value = self.params.get("created")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def expires(self) -> int | None:
        value = self.params.get("expires")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def serialize(self) -> str:
        """The inner list as it appears in the header and on the ``@signature-params`` line."""
        return serialize_inner_list(InnerList(self.components, self.params))


@dataclass(frozen=True)
class MessageSignature:
    """A signature label with its input and signature bytes."""

    input: SignatureInput
    signature: bytes

    @property
    def label(self) -> str:
        return self.input.label


def parse_signature_headers(signature_input: str, signature: str) -> list[MessageSignature]:
    """Pair up ``Signature-Input`` and ``Signature`` members by label, in input order."""
    try:
        inputs = parse_dictionary(signature_input)
    except StructuredFieldError as exc:
        raise SignatureError(f"Signature-Input is malformed: {exc}") from exc
    try:
        signatures = parse_dictionary(signature)
    except StructuredFieldError as exc:
        raise SignatureError(f"Signature is malformed: {exc}") from exc
    result = []
    for label, member in inputs.items():
        if not isinstance(member, InnerList):
            raise SignatureError(f"Signature-Input {label} is not an inner list")
        for item in member.items:
            if not isinstance(item.value, str) or item.value != item.value.lower():
                raise SignatureError(f"Signature-Input {label} has a bad component identifier")
        sig = signatures.get(label)
        if sig is None:
            continue
        if isinstance(sig, InnerList) or not isinstance(sig.value, bytes):
            raise SignatureError(f"Signature {label} is not a byte sequence")
        if not sig.value:
            raise SignatureError(f"Signature {label} is empty")
        sig_input = SignatureInput(label, member.items, member.params)
        result.append(MessageSignature(sig_input, sig.value))
    if not result:
        raise SignatureError("Signature-Input and Signature share no label")
    return result


_FORM_SAFE: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


def _form_encode(raw: bytes) -> str:
    """Percent-encode with the WHATWG application/x-www-form-urlencoded set."""
    return "".join(chr(b) if b in _FORM_SAFE else f"%{b:02X}" for b in raw)


def _form_decode(text: str) -> bytes:
    return unquote_to_bytes(text.replace("+", " "))


def _query_param(query: str, name: str) -> str:
    """RFC 9421 section 2.2.8: decode names and values, then re-encode them."""
    wanted = _form_encode(_form_decode(name))
    values = []
    for pair in query.split("&") if query else []:
        key, _, value = pair.partition("=")
        if _form_encode(_form_decode(key)) == wanted:
            values.append(_form_encode(_form_decode(value)))
    if not values:
        raise SignatureError(f"signed query parameter {name} is missing from the request")
    if len(values) > 1:
        raise SignatureError(f"signed query parameter {name} occurs more than once")
    return values[0]


def component_value(item: Item, request: RequestParts) -> str:
    """The value of one covered component for ``request``."""
    name = str(item.value)
    params = dict(item.params)
    path, has_query, query = request.target.partition("?")
    if name == "@query-param":
        param = params.pop("name", None)
        if not isinstance(param, str) or params:
            raise SignatureError("@query-param needs exactly a name parameter")
        return _query_param(query, param)
    if params:
        raise SignatureError(f"unsupported component parameters on {name}")
    if name.startswith("@"):
        if name == "@method":
            return request.method
        if name in ("@authority", "@target-uri") and not request.authority:
            raise SignatureError("request has no Host header")
        if name == "@authority":
            return request.authority
        if name == "@target-uri":
            return f"{request.scheme}://{request.authority}{request.target}"
        if name == "@scheme":
            return request.scheme
        if name == "@request-target":
            return request.target
        if name == "@path":
            return path or "/"
        if name == "@query":
            return f"?{query}" if has_query else "?"
        raise SignatureError(f"unsupported derived component {name}")
    if name not in request.headers:
        raise SignatureError(f"signed header {name} is missing from the request")
    return request.headers[name]


def signature_base(sig_input: SignatureInput, request: RequestParts) -> str:
    """Build the signature base (RFC 9421 section 2.5), without a trailing newline."""
    lines = []
    seen = set()
    for item in sig_input.components:
        identifier = serialize_item(item)
        if identifier in seen:
            raise SignatureError(f"component {identifier} is covered twice")
        seen.add(identifier)
        value = component_value(item, request)
        if "\n" in value or "\r" in value:
            raise SignatureError(f"component {identifier} contains a newline")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {sig_input.serialize()}')
    return "\n".join(lines)


def check_algorithm(sig_input: SignatureInput) -> None:
    """Refuse an unknown ``alg`` before any key is fetched."""
    if "alg" in sig_input.params and sig_input.algorithm not in SUPPORTED_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {sig_input.params['alg']!r}")


def candidate_algorithms(sig_input: SignatureInput, key: PublicKey) -> list[Algorithm]:
    """The algorithms to try: the declared ``alg``, or what the key type implies."""
    check_algorithm(sig_input)
    declared = sig_input.algorithm
    if declared == "rsa-v1_5-sha256":
        return ["rsa-v1_5-sha256"]
    if declared == "rsa-pss-sha512":
        return ["rsa-pss-sha512"]
    if declared == "ed25519":
        return ["ed25519"]
    if isinstance(key, rsa.RSAPublicKey):
        return ["rsa-v1_5-sha256", "rsa-pss-sha512"]
    return ["ed25519"]


def verify_message_signature(
    signature: MessageSignature, request: RequestParts, public_key: PublicKey
) -> bool:
    """Whether ``signature`` verifies over ``request`` with ``public_key``.

    Only the cryptography: coverage, clock and digest rules are the caller's.
    """
    data = wire_bytes(signature_base(signature.input, request))
    return any(
        verify_bytes(public_key, alg, data, signature.signature)
        for alg in candidate_algorithms(signature.input, public_key)
    )


def create_signature(
    sig_input: SignatureInput, request: RequestParts, private_key: PrivateKey
) -> bytes:
    """Sign ``request`` as ``sig_input`` describes (its ``alg``, else the key's default)."""
    check_algorithm(sig_input)
    algorithm = sig_input.algorithm or default_algorithm(private_key)
    return sign_bytes(private_key, algorithm, wire_bytes(signature_base(sig_input, request)))


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    key_id: str,
    private_key: str | PrivateKey,
    body: bytes | None = None,
    *,
    label: str = "sig1",
    components: Sequence[str] | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """Sign a request the way Fedify does; return the headers to add.

    Adds ``Host``, ``Date`` (when absent), ``Content-Digest`` (when there is a
    body), ``Signature-Input`` and ``Signature``. By default the signature
    covers ``("@method" "@target-uri" "@authority" "host" "date")`` plus
    ``"content-digest"`` for a body, with ``alg``, ``keyid`` and ``created``.
    """
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    stamp = time.time() if now is None else now
    request = RequestParts.from_url(method, url, headers)
    current = dict(request.headers)
    added: dict[str, str] = {"Host": current.get("host", request.authority)}
    if "date" not in current:
        added["Date"] = formatdate(stamp, usegmt=True)
    if body is not None:
        added["Content-Digest"] = content_digest_header(body)
    current.update({name.lower(): value for name, value in added.items()})
    request = RequestParts(
        request.method, request.scheme, request.authority, request.target, current
    )

    if components is None:
        components = POST_COMPONENTS if body is not None else GET_COMPONENTS
    params: Parameters = {
        "alg": default_algorithm(key),
        "keyid": key_id,
        "created": int(stamp),
    }
    sig_input = SignatureInput(label, tuple(Item(name.lower()) for name in components), params)
    signature = create_signature(sig_input, request, key)
    added["Signature-Input"] = f"{label}={sig_input.serialize()}"
    added["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return added
