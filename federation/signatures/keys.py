"""Key pairs, PEM loading and the four signature primitives we speak.

Actors publish their keys as PEM in ``publicKey.publicKeyPem``. Parsing a PEM
costs more than checking one RSA signature, and a busy inbox sees the same few
hundred keys over and over, so both loaders keep an LRU cache keyed by the PEM
text itself (a rotated key is a different string, so the cache never serves a
stale key for new text).

Algorithms are named with the RFC 9421 registry names (``rsa-v1_5-sha256``,
``rsa-v1_5-sha512``, ``rsa-pss-sha512``, ``ed25519``); the draft-cavage module
maps its own names (``rsa-sha256``, ``hs2019``) onto these.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.errors import KeyNotFoundError, SignatureError

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

Algorithm = Literal["rsa-v1_5-sha256", "rsa-v1_5-sha512", "rsa-pss-sha512", "ed25519"]
ALGORITHMS: Final[frozenset[str]] = frozenset(
    {"rsa-v1_5-sha256", "rsa-v1_5-sha512", "rsa-pss-sha512", "ed25519"}
)

RSA_KEY_SIZE: Final = 2048
"""What Mastodon and Fedify generate; every fediverse server accepts it."""


@dataclass(frozen=True)
class PublicKeyInfo:
    """A remote (or local) actor's public key as a key resolver returns it.

    ``owner`` is the actor the key belongs to (``publicKey.owner``): the inbox
    compares it with the activity's ``actor``.
    """

    key_id: str
    owner: str
    public_key_pem: str


def generate_rsa_keypair() -> tuple[str, str]:
    """Make a new RSA-2048 key pair: (private PEM PKCS#8, public PEM SPKI)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return private_pem, public_key_pem(key)


def public_key_pem(key: PrivateKey | PublicKey) -> str:
    """The SubjectPublicKeyInfo PEM of a key (what goes in ``publicKeyPem``)."""
    public: PublicKey
    if isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        public = key.public_key()
    else:
        public = key
    return public.public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode("ascii")


@lru_cache(maxsize=256)
def load_private_key(pem: str) -> PrivateKey:
    """Parse an unencrypted private key PEM (PKCS#8 or PKCS#1), RSA or Ed25519.

    A private key is only ever one of ours, made by :func:`generate_rsa_keypair`
    and read back from our database, so OpenSSL's full RSA consistency check
    (about 25 ms, for keys from untrusted sources) is skipped: a worker
    process starting a fan-out would otherwise spend it per author first.
    """
    try:
        key = serialization.load_pem_private_key(
            pem.strip().encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
        raise KeyNotFoundError("private key does not parse") from exc
    if not isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise KeyNotFoundError(f"unsupported private key type {type(key).__name__}")
    return key


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> PublicKey:
    """Parse a public key PEM: SPKI (``PUBLIC KEY``) or PKCS#1 (``RSA PUBLIC KEY``).

    Raises :class:`KeyNotFoundError` when the text is not a key we can use, so
    the caller treats it like a key it could not fetch.
    """
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
        raise KeyNotFoundError("public key does not parse") from exc
    if not isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise KeyNotFoundError(f"unsupported public key type {type(key).__name__}")
    return key


def default_algorithm(key: PrivateKey | PublicKey) -> Algorithm:
    """The algorithm a key implies when a signature does not name one."""
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "ed25519"
    return "rsa-v1_5-sha256"


def _rsa_parts(algorithm: str) -> tuple[hashes.HashAlgorithm, bool]:
    """(hash, uses PSS) of an RSA algorithm name."""
    if algorithm == "rsa-v1_5-sha256":
        return hashes.SHA256(), False
    if algorithm == "rsa-v1_5-sha512":
        return hashes.SHA512(), False
    if algorithm == "rsa-pss-sha512":
        return hashes.SHA512(), True
    raise SignatureError(f"unsupported signature algorithm {algorithm!r}")


def sign_bytes(key: PrivateKey, algorithm: str, data: bytes) -> bytes:
    """Sign ``data`` with ``key`` using a registry-named algorithm."""
    if algorithm == "ed25519":
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise SignatureError("ed25519 needs an Ed25519 key")
        return key.sign(data)
    hash_algorithm, pss = _rsa_parts(algorithm)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError(f"{algorithm} needs an RSA key")
    if pss:
        # RFC 9421 section 3.3.1: MGF1 with SHA-512 and a 64-byte salt.
        pad: padding.AsymmetricPadding = padding.PSS(
            mgf=padding.MGF1(hashes.SHA512()), salt_length=64
        )
    else:
        pad = padding.PKCS1v15()
    return key.sign(data, pad, hash_algorithm)


def signer_for(key: PrivateKey, algorithm: str) -> Callable[[bytes], bytes]:
    """:func:`sign_bytes` with the key and algorithm settled once (a fan-out signs thousands)."""
    if algorithm == "ed25519" or not isinstance(key, rsa.RSAPrivateKey):
        return functools.partial(sign_bytes, key, algorithm)
    hash_algorithm, pss = _rsa_parts(algorithm)
    if pss:
        return functools.partial(sign_bytes, key, algorithm)
    pkcs1 = padding.PKCS1v15()
    rsa_key = key
    return lambda data: rsa_key.sign(data, pkcs1, hash_algorithm)


def verify_bytes(key: PublicKey, algorithm: str, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``data`` verifies; False also on a key/algorithm mismatch.

    A mismatch (an Ed25519 key with ``rsa-sha256``) is treated as "does not
    verify" rather than an error, so that the caller refetches the key once:
    the remote may have replaced an RSA key with an Ed25519 one.
    """
    if algorithm == "ed25519":
        if not isinstance(key, ed25519.Ed25519PublicKey):
            return False
        try:
            key.verify(signature, data)
        except InvalidSignature:
            return False
        return True
    hash_algorithm, pss = _rsa_parts(algorithm)
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    if pss:
        # Verify with any salt length: the signer's choice does not weaken it.
        pad: padding.AsymmetricPadding = padding.PSS(
            mgf=padding.MGF1(hashes.SHA512()), salt_length=padding.PSS.AUTO
        )
    else:
        pad = padding.PKCS1v15()
    try:
        key.verify(signature, data, pad, hash_algorithm)
    except InvalidSignature:
        return False
    return True
