"""HTTP Signatures for ActivityPub: draft-cavage-12 and RFC 9421, with body digests.

Signing: :func:`sign_cavage` / :func:`sign_rfc9421` (or
``federation.auth.HttpSignatureAuth`` for HTTPX). Receiving:
:func:`verify_request`, with key lookup passed in as a :data:`KeyResolver`.
"""

from federation.signatures.cavage import (
    CavageSignature,
    parse_signature_header,
    sign_cavage,
    signing_string,
    verify_cavage_signature,
)
from federation.signatures.digest import (
    content_digest_header,
    digest_header,
    verify_content_digest,
    verify_digest,
)
from federation.signatures.keys import (
    PrivateKey,
    PublicKey,
    PublicKeyInfo,
    generate_rsa_keypair,
    load_private_key,
    load_public_key,
    public_key_pem,
)
from federation.signatures.rfc9421 import (
    MessageSignature,
    RequestParts,
    SignatureInput,
    parse_signature_headers,
    sign_rfc9421,
    signature_base,
    verify_message_signature,
)
from federation.signatures.verify import (
    KeyResolver,
    SignatureScheme,
    VerifiedRequest,
    key_id_of,
    verify_request,
)

__all__ = [
    "CavageSignature",
    "KeyResolver",
    "MessageSignature",
    "PrivateKey",
    "PublicKey",
    "PublicKeyInfo",
    "RequestParts",
    "SignatureInput",
    "SignatureScheme",
    "VerifiedRequest",
    "content_digest_header",
    "digest_header",
    "generate_rsa_keypair",
    "key_id_of",
    "load_private_key",
    "load_public_key",
    "parse_signature_header",
    "parse_signature_headers",
    "public_key_pem",
    "sign_cavage",
    "sign_rfc9421",
    "signature_base",
    "signing_string",
    "verify_cavage_signature",
    "verify_content_digest",
    "verify_digest",
    "verify_message_signature",
    "verify_request",
]
