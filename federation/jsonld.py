"""JSON-LD for the wire: :func:`normalize` turns any sender's document into plain AS2.

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

The pieces live in small modules; this one holds ``normalize`` and the pyld
slow path, and re-exports the public names so callers import from here:

* :mod:`federation.jsonld_contexts`: bundled contexts, the offline loader,
  the canonical context;
* :mod:`federation.jsonld_terms`: term tables of the canonical context;
* :mod:`federation.jsonld_fastpath`: may a document skip pyld?

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

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from pyld import jsonld as _pyld
from pyld.context_resolver import ContextResolver

from federation.errors import JsonLdError
from federation.jsonld_contexts import (
    AS2_URL,
    AS2_URLS,
    CANONICAL_CONTEXT,
    CONTEXT_URLS,
    PUBLIC,
    SECURITY_V1_URL,
    STAFFROOM_TERMS,
    STAFFROOM_URL,
    bundled_context,
    canonical_context,
    context_file_for,
    document_loader,
    lenient_loader,
)
from federation.jsonld_fastpath import context_prefixes, is_fast_path, is_plain_body
from federation.jsonld_limits import ContextBudget
from federation.jsonld_terms import (
    CANONICAL_PREFIXES,
    IRI_KEYS,
    PLAIN_NAME_BY_IRI,
    entries_of,
    expand,
    normalize_iri,
)

# Re-exported: other packages and the tests import these from federation.jsonld.
__all__ = [
    "AS2_URL",
    "CANONICAL_CONTEXT",
    "CONTEXT_URLS",
    "PUBLIC",
    "SECURITY_V1_URL",
    "STAFFROOM_TERMS",
    "STAFFROOM_URL",
    "bundled_context",
    "canonical_context",
    "context_file_for",
    "document_loader",
    "is_fast_path",
    "normalize",
]

_ADDRESSING = frozenset({"to", "cc", "bto", "bcc", "audience"})


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
# Verdicts on whole @context values: a server sends the same one every time.
_CONTEXT_VERDICTS = _LRU(256)


def _context_verdict(context: list[Any]) -> tuple[bool, Mapping[str, str]]:
    """Whether ``context`` allows the fast path, and the prefixes it puts in scope."""
    key = json.dumps(context, sort_keys=True, separators=(",", ":"))
    verdict: tuple[bool, Mapping[str, str]] | None = _CONTEXT_VERDICTS.get(key)
    if verdict is None:
        fast = is_fast_path(context)
        verdict = (fast, context_prefixes(context, {}) if fast else {})
        _CONTEXT_VERDICTS[key] = verdict
    return verdict


def _with_as2(context: Any) -> list[Any]:
    """The context as read: AS2 underneath, if the sender left it out."""
    entries = entries_of(context)
    if any(isinstance(e, str) and e in AS2_URLS for e in entries):
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
    have defined keep the names the sender wrote). So does a document past
    the context limits of :mod:`federation.limits` (see
    :mod:`federation.jsonld_limits`), before pyld sees it.
    """
    if not isinstance(doc, dict):
        raise JsonLdError("JSON-LD document must be an object")
    try:
        context = _with_as2(doc.get("@context", []))
        budget = ContextBudget()
        budget.context(context)
        body = {k: v for k, v in doc.items() if k != "@context"}
        budget.document(body)
        fast, prefixes = _context_verdict(context)
        if fast and is_plain_body(body, prefixes):
            return doc
        budget.values_of(body)  # pyld's cost grows with them
        source = {"@context": context, **body}
        return _normalize_slow(
            source, lenient_loader if allow_unknown_contexts else document_loader
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
    except RecursionError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        # pyld raises plain Python errors on some malformed contexts (a relative
        # "@import", a non-string where it expects one): still the sender's fault.
        raise JsonLdError(f"invalid JSON-LD ({type(exc).__name__})") from None
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
                    for e in entries_of(value)
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
    if sep and prefix in CANONICAL_PREFIXES and not rest.startswith("//"):
        iri = CANONICAL_PREFIXES[prefix] + rest
    return normalize_iri(iri)


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
        if isinstance(node, str) and key in IRI_KEYS:
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
    iri = expand(key, CANONICAL_PREFIXES)
    name = PLAIN_NAME_BY_IRI.get(iri) if iri else None
    return name if name is not None and name not in node else key


def _expand_value_iri(value: str, addressing: bool) -> str:
    if addressing and value == "Public":
        return PUBLIC
    prefix, sep, rest = value.partition(":")
    if sep and not rest.startswith("//") and prefix in CANONICAL_PREFIXES:
        return CANONICAL_PREFIXES[prefix] + rest
    return value


def _tidy_types(value: Any) -> Any:
    def one(t: Any) -> Any:
        if not isinstance(t, str):
            return t
        if t.startswith("_:"):
            return t[2:]
        return _expand_value_iri(t, False)

    return [one(t) for t in value] if isinstance(value, list) else one(value)
