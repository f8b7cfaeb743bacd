"""JSON-LD for the wire: bundled contexts, an offline loader, and ``normalize``.

Remote servers describe the same AS2 terms with different ``@context`` values.
Most (Mastodon, GoToSocial, Pleroma, Misskey, Friendica...) use the AS2 URL plus
an inline map of extension terms whose names mean what everyone reads them as;
those documents take a **fast path** and are returned untouched. Anything else
(Fedify's compact IRIs such as ``"as:Public"``, Lemmy's ``"expires"`` alias for
``endTime``, a context that renames AS2 terms, data-integrity contexts...) is
expanded and compacted with pyld against :data:`CANONICAL_CONTEXT`, so that the
rest of the code base only ever reads plain AS2 names.

Contexts are never fetched: :func:`document_loader` serves only the documents
in ``federation/contexts/`` and raises :class:`JsonLdError` for any other URL.

Decisions a reader should know (each answers an interop quirk):

* Compact IRIs in IRI-valued properties come out **expanded**: ``"as:Public"``
  and a bare ``"Public"`` in an addressing field both become
  ``https://www.w3.org/ns/activitystreams#Public``; types come out as AS2 term
  names (``"Note"``) or full IRIs, never ``prefix:Name``.
* ``http://schema.org/``, ``https://schema.org/`` and Mastodon's
  ``http://schema.org#`` are one namespace (``PropertyValue`` profile fields
  come from all three).
* A term the sender never defined survives under the name the sender wrote
  (AS2's ``"@vocab": "_:"`` keeps it; we drop the ``_:`` on output), which is
  how a plain-JSON reader would see it.
* A default ``@language`` in a context is ignored: ``content`` stays a string
  and does not turn into ``contentMap``.
* The slow path's output uses JSON-LD compaction rules: a one-element array
  becomes a single value, value objects become plain values.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from pyld import jsonld as _pyld
from pyld.context_resolver import ContextResolver

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

_CONTEXTS_DIR = Path(__file__).parent / "contexts"
# Pleroma and Akkoma serve their context from every instance, at this path.
_LITEPUB_PATH = "/schemas/litepub-0.1.jsonld"
_AS2_URLS = frozenset(url for url, name in CONTEXT_URLS.items() if name == "activitystreams.jsonld")
_SCHEMA_ORG = "http://schema.org#"
_SCHEMA_ORG_VARIANTS = ("http://schema.org/", "https://schema.org/", "https://schema.org#")
_ADDRESSING = frozenset({"to", "cc", "bto", "bcc", "audience"})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def context_file_for(url: str) -> str | None:
    """The bundled file that answers for ``url``, or None."""
    name = CONTEXT_URLS.get(url)
    litepub = url.startswith(("https://", "http://")) and urlsplit(url).path == _LITEPUB_PATH
    if name is None and litepub:
        name = "litepub-0.1.jsonld"
    return name


@cache
def _bundled(filename: str) -> dict[str, Any]:
    """Parse a bundled document once; callers get copies (pyld may mutate)."""
    text = (_CONTEXTS_DIR / filename).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def bundled_context(url: str) -> dict[str, Any]:
    """A fresh copy of the bundled document for ``url``; JsonLdError if unknown."""
    name = context_file_for(url)
    if name is None:
        raise JsonLdError(f"unknown remote context: {url}")
    return copy.deepcopy(_bundled(name))


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that serves bundled contexts and never the network."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": bundled_context(url),
        "contentType": "application/ld+json",
        # "static" lets pyld keep the resolved context in our cache below.
        "tag": "static",
    }


def _lenient_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if context_file_for(url) is not None:
        return document_loader(url, options)
    # Unknown context read as empty; not tagged, so never cached for strict calls.
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": {}}}


# Any pyld call in this process, even one that forgets our loader, stays offline.
_pyld.set_document_loader(document_loader)


class _LRU:
    """pyld's resolved-context cache, private to us and bounded: inline
    contexts are cached by content, and strangers choose that content.
    (pyld only calls ``get`` and ``[key] = value`` on it.)"""

    def __init__(self, maxsize: int) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._maxsize = maxsize

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self._items:
            return default
        self._items.move_to_end(key)
        return self._items[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._maxsize:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


_RESOLVED_CONTEXTS = _LRU(256)

# -- the canonical context ------------------------------------------------


#: Our extension terms, inlined in every document we publish.
STAFFROOM_TERMS: Final[Mapping[str, Any]] = MappingProxyType(
    _bundled("staffroom.jsonld")["@context"]
)


def canonical_context() -> list[str | dict[str, Any]]:
    """A fresh copy of :data:`CANONICAL_CONTEXT`, safe to put in a document."""
    return [AS2_URL, SECURITY_V1_URL, copy.deepcopy(dict(STAFFROOM_TERMS))]


#: The ``@context`` of every document we send and of every normalized document.
CANONICAL_CONTEXT: Final = canonical_context()


@dataclass(frozen=True)
class _Term:
    iri: str
    container: tuple[str, ...]
    coerce_id: bool
    is_prefix: bool


_SIMPLE_TERM_KEYS = frozenset({"@id", "@type", "@container"})
# Keywords that may sit in an inline context without changing what a term name means.
_HARMLESS_KEYWORDS = frozenset({"@language", "@version", "@protected", "@direction"})


def _normalize_iri(iri: str) -> str:
    for variant in _SCHEMA_ORG_VARIANTS:
        if iri.startswith(variant):
            return _SCHEMA_ORG + iri[len(variant) :]
    return iri


def _expand(value: str, prefixes: Mapping[str, str]) -> str | None:
    if value.startswith("@"):
        return value
    prefix, sep, suffix = value.partition(":")
    if not sep:
        return None  # a term reference or a relative IRI: not in our simple subset
    if suffix.startswith("//") or prefix not in prefixes:
        return _normalize_iri(value)
    return _normalize_iri(prefixes[prefix] + suffix)


def _prefixes_of(ctx: Mapping[str, Any]) -> dict[str, str]:
    return {
        k: v
        for k, v in ctx.items()
        if isinstance(v, str) and not k.startswith("@") and v.endswith(("#", "/", ":"))
    }


def _terms_of(ctx: Mapping[str, Any], prefixes: Mapping[str, str]) -> dict[str, _Term] | None:
    """Term table of one inline context, or None if it uses more than simple terms."""
    terms: dict[str, _Term] = {}
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
        if not isinstance(iri, str) or (expanded := _expand(iri, prefixes)) is None:
            return None
        prefix = isinstance(definition, str) and definition.endswith(("#", "/", ":"))
        terms[name] = _Term(expanded, container, coerce, prefix)
    return terms


def _canonical_terms() -> dict[str, _Term]:
    parts = [
        _bundled(CONTEXT_URLS[AS2_URL])["@context"],
        _bundled(CONTEXT_URLS[SECURITY_V1_URL])["@context"],
    ]
    parts.append(dict(STAFFROOM_TERMS))
    prefixes: dict[str, str] = {}
    for part in parts:
        prefixes.update(_prefixes_of(part))
    table: dict[str, _Term] = {}
    for part in parts:
        terms = _terms_of({k: v for k, v in part.items() if k != "@vocab"}, prefixes)
        assert terms is not None, "canonical contexts must stay within the simple subset"
        table.update(terms)
    return table


_CANONICAL: Final = _canonical_terms()
_CANONICAL_PREFIXES: Final = {n: t.iri for n, t in _CANONICAL.items() if t.is_prefix}
_IRI_KEYS: Final = frozenset({"id"} | {n for n, t in _CANONICAL.items() if t.coerce_id})

# The names the rest of the code base reads: AS2, our terms, and the key terms
# of security/v1. The other security/v1 terms (signature suites, "expires",
# "EncryptedMessage"...) are nobody's business here, and Mastodon redefines
# some of them inline; they must not push its documents off the fast path.
_READ_NAMES = (
    set(_bundled(CONTEXT_URLS[AS2_URL])["@context"])
    | set(STAFFROOM_TERMS)
    | {"publicKey", "publicKeyPem", "owner"}
)
_PROTECTED: Final = {n: t for n, t in _CANONICAL.items() if n in _READ_NAMES}
_PROTECTED_IRIS: Final = frozenset(t.iri for t in _PROTECTED.values() if not t.is_prefix)
# IRI -> the plain (container-less) name we read it by, e.g. as:content -> content.
_PLAIN_NAME_BY_IRI: Final = {
    t.iri: n
    for n, t in sorted(_PROTECTED.items(), reverse=True)
    if not t.is_prefix and not t.container and not t.iri.startswith("@")
}


def _agrees(name: str, term: _Term) -> bool:
    """Does reading ``name`` as plain JSON give it the canonical meaning?"""
    canonical = _PROTECTED.get(name)
    if canonical is not None:
        return canonical.iri == term.iri and canonical.container == term.container
    # Otherwise harmless, unless it is an alias of a term we read by another
    # name (Lemmy's "expires" for endTime, a "msg" for content).
    return term.is_prefix or term.iri not in _PROTECTED_IRIS


def _inline_agrees(ctx: Mapping[str, Any], outer_prefixes: Mapping[str, str]) -> bool:
    terms = _terms_of(ctx, {**outer_prefixes, **_prefixes_of(ctx)})
    return terms is not None and all(_agrees(n, t) for n, t in terms.items())


def _file_prefixes(name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in _as_list(_bundled(name)["@context"]):
        if isinstance(entry, dict):
            out.update(_prefixes_of(entry))
        elif isinstance(entry, str) and (inner := context_file_for(entry)) and inner != name:
            out.update(_file_prefixes(inner))
    return out


def _entries_agree(
    context: Any, url_ok: Callable[[str], bool], prefixes: Mapping[str, str] | None = None
) -> bool:
    """Every entry of a ``@context`` value agrees with the canonical context.

    Prefixes come from all URL entries first, so the verdict does not depend on
    the order of entries (every accepted definition agrees anyway).
    """
    entries = _as_list(context)
    known: dict[str, str] = dict(prefixes or {})
    for entry in entries:
        if isinstance(entry, str):
            name = context_file_for(entry)
            if name is None or not url_ok(entry):
                return False
            known.update(_FILE_PREFIXES[name])
        elif not isinstance(entry, dict):
            return False
    return all(_inline_agrees(e, known) for e in entries if isinstance(e, dict))


_CANONICAL_FILES = frozenset({"activitystreams.jsonld", "security-v1.jsonld", "staffroom.jsonld"})


def _compatible_file(name: str, seen: frozenset[str] = frozenset()) -> bool:
    if name in _CANONICAL_FILES:
        return True  # these make up the canonical context itself
    if name in seen:
        return False

    def inner_ok(url: str) -> bool:
        inner = context_file_for(url)
        return inner is not None and _compatible_file(inner, seen | {name})

    return _entries_agree(_bundled(name)["@context"], inner_ok)


_FILE_PREFIXES: Final = {name: _file_prefixes(name) for name in set(CONTEXT_URLS.values())}
#: Bundled context files whose every term agrees with the canonical context.
_FAST_FILES: Final = frozenset(name for name in _FILE_PREFIXES if _compatible_file(name))


def _fast_url(url: str) -> bool:
    return context_file_for(url) in _FAST_FILES


def is_fast_path(context: Any) -> bool:
    """True if a document with this ``@context`` can be read as plain AS2 JSON.

    That is: the AS2 context is present; every URL is a bundled context whose
    terms agree with ours; every inline term either has exactly its canonical
    meaning or is unknown to us and not an alias of one of our terms; and no
    inline keyword changes how names resolve (``@vocab``, ``@base``, scoped
    contexts...). Order does not matter, since every accepted definition agrees.
    """
    entries = context if isinstance(context, list) else [context]
    if not any(isinstance(e, str) and e in _AS2_URLS for e in entries):
        return False
    try:
        return _entries_agree(context, _fast_url)
    except RecursionError:
        return False


def _context_prefixes(context: Any, outer: Mapping[str, str]) -> dict[str, str]:
    known = dict(outer)
    for entry in _as_list(context):
        if isinstance(entry, str) and (name := context_file_for(entry)) is not None:
            known.update(_FILE_PREFIXES[name])
    for entry in _as_list(context):
        if isinstance(entry, dict):
            known.update(_prefixes_of(entry))
    return known


def _reads_as_protected(word: str, prefixes: Mapping[str, str]) -> bool:
    """Is ``word`` (a key or a type with a colon) another spelling of a name we read?"""
    expanded = _expand(word, prefixes)
    return expanded is not None and expanded in _PROTECTED_IRIS


def _plain_body(node: Any, prefixes: Mapping[str, str]) -> bool:
    """The body reads the same as plain JSON: no nested context that breaks the
    fast path, no JSON-LD keywords as keys, and no key or type that spells one
    of our terms as an IRI (``"as:content"``, ``"type": "as:Note"``). Other
    extension keys with a colon (Friendica's ``diaspora:guid``) are fine."""
    if isinstance(node, dict):
        if "@context" in node:
            if not _entries_agree(node["@context"], _fast_url, _CANONICAL_PREFIXES):
                return False
            prefixes = _context_prefixes(node["@context"], prefixes)
        for key, value in node.items():
            if key == "@context":
                continue
            if key.startswith("@") or (":" in key and _reads_as_protected(key, prefixes)):
                return False
            if key == "type" and any(
                isinstance(t, str) and ":" in t and _reads_as_protected(t, prefixes)
                for t in _as_list(value)
            ):
                return False
            if isinstance(value, dict | list) and not _plain_body(value, prefixes):
                return False
    elif isinstance(node, list):
        return all(_plain_body(item, prefixes) for item in node)
    return True


def _with_as2(context: Any) -> list[Any]:
    """The context as read: AS2 underneath, if the sender left it out."""
    entries = _as_list(context)
    if any(isinstance(e, str) and e in _AS2_URLS for e in entries):
        return entries
    return [AS2_URL, *entries]


def normalize(doc: dict[str, Any], *, allow_unknown_contexts: bool = False) -> dict[str, Any]:
    """Return ``doc`` with plain AS2 term names.

    Fast path: the very same object, untouched. Otherwise a new dict compacted
    against :data:`CANONICAL_CONTEXT` (with that as its ``@context``). The AS2
    context is always read underneath the document's own (a document without
    ``@context``, or one that forgot AS2, is read as AS2 like everyone does).

    An unknown remote context raises JsonLdError, unless
    ``allow_unknown_contexts`` (then it counts as empty: the terms it would
    have defined keep the names the sender wrote).
    """
    if not isinstance(doc, dict):
        raise JsonLdError("JSON-LD document must be an object")
    try:
        context = _with_as2(doc.get("@context", []))
        body = {k: v for k, v in doc.items() if k != "@context"}
        if is_fast_path(context) and _plain_body(body, _context_prefixes(context, {})):
            return doc
        source = {"@context": context, **body}
        return _normalize_slow(
            source, _lenient_loader if allow_unknown_contexts else document_loader
        )
    except RecursionError:
        raise JsonLdError("JSON-LD document is nested too deeply") from None


def _normalize_slow(doc: dict[str, Any], loader: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    def options() -> dict[str, Any]:
        return {
            "documentLoader": loader,
            "contextResolver": ContextResolver(_RESOLVED_CONTEXTS, loader),
            "base": None,
        }

    try:
        expanded = _pyld.expand(_without_default_language(doc), options())
        expanded = _canonical_iris(expanded)
        compacted = _pyld.compact(
            expanded, canonical_context(), {**options(), "skipExpansion": True}
        )
    except _pyld.JsonLdError as exc:
        raise _our_error(exc) from None
    if not isinstance(compacted, dict) or "@graph" in compacted:
        raise JsonLdError("JSON-LD document is not a single object")
    tidy: dict[str, Any] = _tidy(compacted, None)
    tidy["@context"] = canonical_context()
    return tidy


def _our_error(exc: BaseException) -> JsonLdError:
    seen: BaseException | None = exc
    while seen is not None:  # pyld chains with "raise ... from cause"
        if isinstance(seen, JsonLdError):
            return JsonLdError(seen.reason)
        seen = seen.__cause__
    code = getattr(exc, "code", None)
    return JsonLdError(f"invalid JSON-LD ({code})" if code else "invalid JSON-LD")


def _without_default_language(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "@context":
                value = [
                    {k: v for k, v in e.items() if k != "@language"} if isinstance(e, dict) else e
                    for e in _as_list(value)
                ]
            else:
                value = _without_default_language(value)
            out[key] = value
        return out
    if isinstance(node, list):
        return [_without_default_language(item) for item in node]
    return node


def _fix_iri(iri: str) -> str:
    """An IRI of the expanded form, made safe and uniform for compaction.

    Folds schema.org variants, and reads ``ostatus:atomUri`` written without
    defining ``ostatus`` as the well-known namespace (pyld would otherwise
    refuse to compact an absolute IRI that looks like one of our compact IRIs).
    """
    prefix, sep, rest = iri.partition(":")
    if sep and prefix in _CANONICAL_PREFIXES and not rest.startswith("//"):
        iri = _CANONICAL_PREFIXES[prefix] + rest
    return _normalize_iri(iri)


def _canonical_iris(node: Any) -> Any:
    """Apply :func:`_fix_iri` to the keys, types and ids of an expanded document."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "@type":
                if isinstance(value, list):
                    value = [_fix_iri(t) if isinstance(t, str) else t for t in value]
                elif isinstance(value, str):
                    value = _fix_iri(value)
            elif key == "@id" and isinstance(value, str):
                value = _fix_iri(value)
            elif key != "@value":
                value = _canonical_iris(value)
            out[key if key.startswith("@") else _fix_iri(key)] = value
        return out
    if isinstance(node, list):
        return [_canonical_iris(item) for item in node]
    return node


def _tidy(node: Any, key: str | None) -> Any:
    if isinstance(node, list):
        return [_tidy(item, key) for item in node]
    if not isinstance(node, dict):
        if isinstance(node, str) and key in _IRI_KEYS:
            return _expand_value_iri(node, key in _ADDRESSING)
        return node
    if "@value" in node:
        return node["@value"]
    if node.keys() == {"@list"}:
        return _tidy(node["@list"], key)
    out: dict[str, Any] = {}
    for name, value in node.items():
        if name.startswith("_:") and name[2:] not in node:
            name = name[2:]
        elif ":" in name:
            name = _plain_name(name, node)
        if name == "type":
            out[name] = _tidy_types(value)
        else:
            out[name] = _tidy(value, name)
    return out


def _plain_name(key: str, node: Mapping[str, Any]) -> str:
    """``as:endTime`` -> ``endTime`` when compaction could not use the term.

    pyld only picks a term whose type coercion matches the value, so an
    untyped ``expires`` (Lemmy's alias of endTime) compacts to ``as:endTime``;
    a plain-JSON reader wants ``endTime`` whatever the coercion.
    """
    iri = _expand(key, _CANONICAL_PREFIXES)
    name = _PLAIN_NAME_BY_IRI.get(iri) if iri else None
    return name if name is not None and name not in node else key


def _expand_value_iri(value: str, addressing: bool) -> str:
    if addressing and value == "Public":
        return PUBLIC
    prefix, sep, rest = value.partition(":")
    if sep and not rest.startswith("//") and prefix in _CANONICAL_PREFIXES:
        return _CANONICAL_PREFIXES[prefix] + rest
    return value


def _tidy_types(value: Any) -> Any:
    def one(t: Any) -> Any:
        if not isinstance(t, str):
            return t
        if t.startswith("_:"):
            return t[2:]
        return _expand_value_iri(t, False)

    return [one(t) for t in value] if isinstance(value, list) else one(value)
