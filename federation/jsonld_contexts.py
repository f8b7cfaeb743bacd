"""The JSON-LD contexts we know: bundled files, the offline loader, our own context.

Contexts are never fetched. A context URL is a promise about term meanings
made by whoever controls that URL, and fetching it on behalf of a stranger's
document would be both an SSRF vector and a way for a remote server to change
how we read everyone's documents. So :func:`document_loader` serves only the
files in ``federation/contexts/`` and raises :class:`JsonLdError` for any
other URL; importing this module makes it pyld's default loader as well, so
a pyld call that forgets to pass it still stays offline.

:func:`canonical_context` is the ``@context`` of every document we send and
of every normalized document. :data:`CANONICAL_CONTEXT` is the same value,
shared: it is for reading and comparing only (see its comment).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from pyld import jsonld as _pyld

from federation.errors import JsonLdError

AS2_URL: Final = "https://www.w3.org/ns/activitystreams"
SECURITY_V1_URL: Final = "https://w3id.org/security/v1"
STAFFROOM_URL: Final = "https://staffroom.social/ns"
PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"

#: Every published context URL we serve, mapped to its file in ``contexts/``.
CONTEXT_URLS: Final[Mapping[str, str]] = MappingProxyType(
    {
        AS2_URL: "activitystreams.jsonld",
        AS2_URL + ".jsonld": "activitystreams.jsonld",
        "http://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
        "http://www.w3.org/ns/activitystreams.jsonld": "activitystreams.jsonld",
        SECURITY_V1_URL: "security-v1.jsonld",
        "http://w3id.org/security/v1": "security-v1.jsonld",
        "https://w3id.org/security/data-integrity/v1": "security-data-integrity-v1.jsonld",
        "https://w3id.org/security/data-integrity/v2": "security-data-integrity-v2.jsonld",
        "https://w3id.org/security/multikey/v1": "security-multikey-v1.jsonld",
        "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
        "https://w3id.org/identity/v1": "identity-v1.jsonld",
        "http://joinmastodon.org/ns": "joinmastodon-toot.jsonld",
        "https://gotosocial.org/ns": "gotosocial.jsonld",
        "https://join-lemmy.org/context.json": "join-lemmy.jsonld",
        "https://purl.archive.org/socialweb/webfinger": "webfinger.jsonld",
        "https://purl.archive.org/miscellany": "as-miscellany.jsonld",
        "https://w3id.org/fep/5711": "fep-5711.jsonld",
        "https://w3id.org/fep/7aa9": "fep-7aa9.jsonld",
        "https://w3id.org/fep/ef61": "fep-ef61.jsonld",
        "http://schema.org": "schemaorg.jsonld",
        "http://schema.org/": "schemaorg.jsonld",
        "https://schema.org": "schemaorg.jsonld",
        "https://schema.org/": "schemaorg.jsonld",
        "https://litepub.social/litepub/context.jsonld": "litepub-0.1.jsonld",
        STAFFROOM_URL: "staffroom.jsonld",
    }
)

#: Every spelling of the AS2 context URL (a document must name one of them).
AS2_URLS: Final = frozenset(
    url for url, name in CONTEXT_URLS.items() if name == "activitystreams.jsonld"
)

_CONTEXTS_DIR = Path(__file__).parent / "contexts"
# Pleroma and Akkoma serve their context from every instance, at this path.
_LITEPUB_PATH = "/schemas/litepub-0.1.jsonld"


def context_file_for(url: str) -> str | None:
    """The bundled file that answers for ``url``, or None."""
    name = CONTEXT_URLS.get(url)
    litepub = url.startswith(("https://", "http://")) and urlsplit(url).path == _LITEPUB_PATH
    if name is None and litepub:
        name = "litepub-0.1.jsonld"
    return name


@cache
def bundled_file(filename: str) -> dict[str, Any]:
    """Parse a bundled document once and share it: read-only for callers.

    Anything that hands a document to pyld (which may mutate it) goes through
    :func:`bundled_context` instead, which copies.
    """
    text = (_CONTEXTS_DIR / filename).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def bundled_context(url: str) -> dict[str, Any]:
    """A fresh copy of the bundled document for ``url``; JsonLdError if unknown."""
    name = context_file_for(url)
    if name is None:
        raise JsonLdError(f"unknown remote context: {url}")
    return copy.deepcopy(bundled_file(name))


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that serves bundled contexts and never the network."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": bundled_context(url),
        "contentType": "application/ld+json",
        # "static" lets pyld keep the resolved context in our resolved-context cache.
        "tag": "static",
    }


def lenient_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Like :func:`document_loader`, but an unknown context reads as empty.

    The answer for an unknown URL carries no ``tag``, so pyld never caches it
    where a strict call could find it.
    """
    if context_file_for(url) is not None:
        return document_loader(url, options)
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": {}}}


# Any pyld call in this process, even one that forgets our loader, stays offline.
_pyld.set_document_loader(document_loader)


# -- the canonical context ------------------------------------------------

#: Our extension terms, inlined in every document we publish.
STAFFROOM_TERMS: Final[Mapping[str, Any]] = MappingProxyType(
    bundled_file("staffroom.jsonld")["@context"]
)


def canonical_context() -> list[str | dict[str, Any]]:
    """A fresh copy of :data:`CANONICAL_CONTEXT`, safe to put in a document.

    Use this, not the constant, whenever the value goes into a document: a
    document may be mutated later (by us, pyld or a caller), and a shared
    list there would change the context of every other document we send.
    """
    return [AS2_URL, SECURITY_V1_URL, copy.deepcopy(dict(STAFFROOM_TERMS))]


#: The ``@context`` of every document we send and of every normalized document.
#:
#: One shared value, for reading and comparing only: never mutate it and never
#: put it into a document (call :func:`canonical_context` for that). It stays a
#: real ``list`` (not a frozen tuple or mapping proxy) so that it compares equal
#: to a parsed ``@context``, passes ``isinstance(..., list)`` checks and still
#: JSON-serializes; the ``Sequence``/``Mapping`` annotation makes the type
#: checker reject in-place mutation.
CANONICAL_CONTEXT: Final[Sequence[str | Mapping[str, Any]]] = canonical_context()
