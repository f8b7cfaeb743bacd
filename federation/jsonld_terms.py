"""Term tables: what each name of the canonical context means, and which we read.

Both halves of normalization need them. The fast path compares a sender's
term definitions with these to decide a document can be read as plain JSON;
the slow path uses them to turn what pyld's compaction leaves as compact IRIs
back into the names the rest of the code base reads.

Only a *simple subset* of JSON-LD term definitions is modelled here (a plain
IRI, or ``@id`` with optional ``@type`` and ``@container``): that is all the
canonical context uses, and anything richer in a sender's context is a reason
to take the slow path rather than something to interpret by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from federation.jsonld_contexts import (
    AS2_URL,
    CONTEXT_URLS,
    SECURITY_V1_URL,
    STAFFROOM_TERMS,
    bundled_file,
)

_SCHEMA_ORG = "http://schema.org#"
_SCHEMA_ORG_VARIANTS = ("http://schema.org/", "https://schema.org/", "https://schema.org#")
_SIMPLE_TERM_KEYS = frozenset({"@id", "@type", "@container"})
# Keywords that may sit in an inline context without changing what a term name means.
_HARMLESS_KEYWORDS = frozenset({"@language", "@version", "@protected", "@direction"})


def entries_of(value: Any) -> list[Any]:
    """A JSON-LD value as a list (unlike ``vocab.as_list``, None is one entry)."""
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Term:
    """One term definition of the simple subset, with its IRI expanded."""

    iri: str
    container: tuple[str, ...]
    coerce_id: bool
    is_prefix: bool


def normalize_iri(iri: str) -> str:
    """Fold the schema.org spellings into Mastodon's ``http://schema.org#``.

    ``PropertyValue`` profile fields arrive under all of them.
    """
    for variant in _SCHEMA_ORG_VARIANTS:
        if iri.startswith(variant):
            return _SCHEMA_ORG + iri[len(variant) :]
    return iri


def expand(value: str, prefixes: Mapping[str, str]) -> str | None:
    """Expand a compact IRI or keyword; None for anything outside the subset."""
    if value.startswith("@"):
        return value
    prefix, sep, suffix = value.partition(":")
    if not sep:
        return None  # a term reference or a relative IRI: not in our simple subset
    if suffix.startswith("//") or prefix not in prefixes:
        return normalize_iri(value)
    return normalize_iri(prefixes[prefix] + suffix)


def prefixes_of(ctx: Mapping[str, Any]) -> dict[str, str]:
    """The prefix definitions of one inline context (``"as": "https://...#"``)."""
    return {
        k: v
        for k, v in ctx.items()
        if isinstance(v, str) and not k.startswith("@") and v.endswith(("#", "/", ":"))
    }


def terms_of(ctx: Mapping[str, Any], prefixes: Mapping[str, str]) -> dict[str, Term] | None:
    """Term table of one inline context, or None if it uses more than simple terms."""
    terms: dict[str, Term] = {}
    for name, definition in ctx.items():
        if name.startswith("@"):
            if name not in _HARMLESS_KEYWORDS:
                return None
            continue
        container: tuple[str, ...] = ()
        if isinstance(definition, str):
            iri, coerce = definition, False
        elif (
            isinstance(definition, dict)
            and "@id" in definition
            and definition.keys() <= _SIMPLE_TERM_KEYS
        ):
            iri = definition["@id"]
            raw = definition.get("@container", ())
            container = tuple(sorted(({raw} if isinstance(raw, str) else set(raw)) - {"@set"}))
            coerce = definition.get("@type") in ("@id", "@vocab")
        else:
            return None  # null, scoped contexts, @reverse, @prefix...
        if not isinstance(iri, str) or (expanded := expand(iri, prefixes)) is None:
            return None
        prefix = isinstance(definition, str) and definition.endswith(("#", "/", ":"))
        terms[name] = Term(expanded, container, coerce, prefix)
    return terms


def _canonical_terms() -> dict[str, Term]:
    parts = [
        bundled_file(CONTEXT_URLS[AS2_URL])["@context"],
        bundled_file(CONTEXT_URLS[SECURITY_V1_URL])["@context"],
    ]
    parts.append(dict(STAFFROOM_TERMS))
    prefixes: dict[str, str] = {}
    for part in parts:
        prefixes.update(prefixes_of(part))
    table: dict[str, Term] = {}
    for part in parts:
        terms = terms_of({k: v for k, v in part.items() if k != "@vocab"}, prefixes)
        assert terms is not None, "canonical contexts must stay within the simple subset"
        table.update(terms)
    return table


#: Every term of the canonical context.
CANONICAL: Final = _canonical_terms()
#: The canonical context's prefixes (``as``, ``sec``, ``toot``, ``staffroom``...).
CANONICAL_PREFIXES: Final = {n: t.iri for n, t in CANONICAL.items() if t.is_prefix}
#: Names whose string values are IRIs (``"@type": "@id"`` terms, and ``id``).
IRI_KEYS: Final = frozenset({"id"} | {n for n, t in CANONICAL.items() if t.coerce_id})

# The names the rest of the code base reads: AS2, our terms, and the key terms
# of security/v1. The other security/v1 terms (signature suites, "expires",
# "EncryptedMessage"...) are nobody's business here, and Mastodon redefines
# some of them inline; they must not push its documents off the fast path.
_READ_NAMES = (
    set(bundled_file(CONTEXT_URLS[AS2_URL])["@context"])
    | set(STAFFROOM_TERMS)
    | {"publicKey", "publicKeyPem", "owner"}
)
#: The terms we read, by name: a sender must not give these another meaning.
PROTECTED: Final = {n: t for n, t in CANONICAL.items() if n in _READ_NAMES}
#: The IRIs of the protected terms: a sender must not alias these under another name.
PROTECTED_IRIS: Final = frozenset(t.iri for t in PROTECTED.values() if not t.is_prefix)
#: IRI -> the plain (container-less) name we read it by, e.g. as:content -> content.
PLAIN_NAME_BY_IRI: Final = {
    t.iri: n
    for n, t in sorted(PROTECTED.items(), reverse=True)
    if not t.is_prefix and not t.container and not t.iri.startswith("@")
}
