"""The fast path: may a document be read as plain AS2 JSON, without pyld?

Most servers (Mastodon, GoToSocial, Pleroma, Misskey, Friendica...) send the
AS2 URL plus inline extension terms that mean what everyone reads them as.
Running pyld over each of their documents would cost far more than the rest
of inbox processing, so those documents are recognised here and returned
untouched. The check is conservative: anything it does not fully understand
(``@vocab``, ``@base``, scoped contexts, an alias of a term we read, a key
spelling one of our terms as a compact IRI) sends the document down the slow
path, which is always correct.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from federation.jsonld_contexts import AS2_URLS, CONTEXT_URLS, bundled_file, context_file_for
from federation.jsonld_terms import (
    CANONICAL_PREFIXES,
    PROTECTED,
    PROTECTED_IRIS,
    Term,
    entries_of,
    expand,
    prefixes_of,
    terms_of,
)

# The files that make up the canonical context itself.
_CANONICAL_FILES = frozenset({"activitystreams.jsonld", "security-v1.jsonld", "staffroom.jsonld"})


def _agrees(name: str, term: Term) -> bool:
    """Does reading ``name`` as plain JSON give it the canonical meaning?"""
    canonical = PROTECTED.get(name)
    if canonical is not None:
        return canonical.iri == term.iri and canonical.container == term.container
    # Otherwise harmless, unless it is an alias of a term we read by another
    # name (Lemmy's "expires" for endTime, a "msg" for content).
    return term.is_prefix or term.iri not in PROTECTED_IRIS


def _inline_agrees(ctx: Mapping[str, Any], outer_prefixes: Mapping[str, str]) -> bool:
    terms = terms_of(ctx, {**outer_prefixes, **prefixes_of(ctx)})
    return terms is not None and all(_agrees(n, t) for n, t in terms.items())


def _file_prefixes(name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in entries_of(bundled_file(name)["@context"]):
        if isinstance(entry, dict):
            out.update(prefixes_of(entry))
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
    entries = entries_of(context)
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


def _compatible_file(name: str, seen: frozenset[str] = frozenset()) -> bool:
    if name in _CANONICAL_FILES:
        return True  # these make up the canonical context itself
    if name in seen:
        return False

    def inner_ok(url: str) -> bool:
        inner = context_file_for(url)
        return inner is not None and _compatible_file(inner, seen | {name})

    return _entries_agree(bundled_file(name)["@context"], inner_ok)


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
    if not any(isinstance(e, str) and e in AS2_URLS for e in entries):
        return False
    try:
        return _entries_agree(context, _fast_url)
    except RecursionError:
        return False


def context_prefixes(context: Any, outer: Mapping[str, str]) -> dict[str, str]:
    """The prefixes in scope under ``context``: its bundled files', then inline ones."""
    known = dict(outer)
    for entry in entries_of(context):
        if isinstance(entry, str) and (name := context_file_for(entry)) is not None:
            known.update(_FILE_PREFIXES[name])
    for entry in entries_of(context):
        if isinstance(entry, dict):
            known.update(prefixes_of(entry))
    return known


def _reads_as_protected(word: str, prefixes: Mapping[str, str]) -> bool:
    """Is ``word`` (a key or a type with a colon) another spelling of a name we read?"""
    expanded = expand(word, prefixes)
    return expanded is not None and expanded in PROTECTED_IRIS


def is_plain_body(node: Any, prefixes: Mapping[str, str]) -> bool:
    """The body reads the same as plain JSON: no nested context that breaks the
    fast path, no JSON-LD keywords as keys, and no key or type that spells one
    of our terms as an IRI (``"as:content"``, ``"type": "as:Note"``). Other
    extension keys with a colon (Friendica's ``diaspora:guid``) are fine."""
    if isinstance(node, dict):
        if "@context" in node:
            if not _entries_agree(node["@context"], _fast_url, CANONICAL_PREFIXES):
                return False
            prefixes = context_prefixes(node["@context"], prefixes)
        for key, value in node.items():
            if key == "@context":
                continue
            if key.startswith("@") or (":" in key and _reads_as_protected(key, prefixes)):
                return False
            if key == "type" and any(
                isinstance(t, str) and ":" in t and _reads_as_protected(t, prefixes)
                for t in entries_of(value)
            ):
                return False
            if isinstance(value, dict | list) and not is_plain_body(value, prefixes):
                return False
    elif isinstance(node, list):
        return all(is_plain_body(item, prefixes) for item in node)
    return True
