"""How much JSON-LD context a document may carry before pyld is allowed to read it.

pyld's cost grows with the context, not the data: every use of a scoped
context (a term definition with a ``@context`` of its own) copies and
re-processes the active context, so 200 nested scoped contexts in a 20 KB
body took two minutes of CPU on the event loop, and deeper ones ended in a
RecursionError. A :class:`ContextBudget` counts what one document declares,
wherever it declares it (the top-level ``@context``, those of embedded
objects, those inside term definitions), and refuses the document with a
:class:`~federation.errors.JsonLdError` (400) as soon as one count passes
its limit in :mod:`federation.limits`. It never follows a URL: counting is
all it does.

Documents that need pyld at all (a context other than the common one, see
:mod:`federation.jsonld_fastpath`) are also limited in size: pyld spends
about a fifth of a millisecond per value, so a 1 MiB document would hold the
event loop for half a minute. :data:`~federation.limits.MAX_JSONLD_VALUES`
keeps that under half a second; documents on the fast path have no such
limit beyond the body size.
"""

from __future__ import annotations

from typing import Any

from federation.errors import JsonLdError
from federation.limits import (
    MAX_CONTEXT_DEPTH,
    MAX_CONTEXT_TERMS,
    MAX_CONTEXT_URLS,
    MAX_INLINE_CONTEXTS,
    MAX_JSONLD_VALUES,
    MAX_SCOPED_CONTEXTS,
)


class ContextBudget:
    """Counts the contexts of one document; raises when one count passes its limit."""

    def __init__(self) -> None:
        self.urls = 0
        self.inline = 0
        self.scoped = 0
        self.terms = 0
        self.values = 0

    def context(self, value: Any, depth: int = 0) -> None:
        """Count one ``@context`` value (a URL, an object, or a list of them)."""
        pending: list[tuple[Any, int]] = [(value, depth)]
        while pending:
            entry, level = pending.pop()
            if isinstance(entry, list):
                pending.extend((item, level) for item in entry)
            elif isinstance(entry, str):
                self._url()
            elif isinstance(entry, dict):
                self._inline(entry, level, pending)

    def values_of(self, node: Any) -> None:
        """Count the values of a document bound for pyld (a fifth of a millisecond each)."""
        pending = [node]
        while pending:
            value = pending.pop()
            if isinstance(value, dict):
                self.values += len(value)
                pending.extend(item for item in value.values() if isinstance(item, dict | list))
            elif isinstance(value, list):
                self.values += len(value)
                pending.extend(item for item in value if isinstance(item, dict | list))
            if self.values > MAX_JSONLD_VALUES:
                raise JsonLdError(
                    f"more than {MAX_JSONLD_VALUES} values in a document that needs "
                    "JSON-LD processing (send the common ActivityStreams context)"
                )

    def document(self, node: Any) -> None:
        """Count every ``@context`` found anywhere in ``node`` (an embedded object's too)."""
        pending = [node]
        while pending:
            value = pending.pop()
            if isinstance(value, dict):
                for key, item in value.items():
                    if key == "@context":
                        self.context(item)
                    elif isinstance(item, dict | list):
                        pending.append(item)
            elif isinstance(value, list):
                pending.extend(item for item in value if isinstance(item, dict | list))

    def _url(self) -> None:
        self.urls += 1
        if self.urls > MAX_CONTEXT_URLS:
            raise JsonLdError(f"more than {MAX_CONTEXT_URLS} context URLs")

    def _inline(self, ctx: dict[str, Any], level: int, pending: list[tuple[Any, int]]) -> None:
        self.inline += 1
        if self.inline > MAX_INLINE_CONTEXTS:
            raise JsonLdError(f"more than {MAX_INLINE_CONTEXTS} inline contexts")
        for name, definition in ctx.items():
            if name == "@import":
                self._url()
                continue
            if name.startswith("@"):
                continue
            self.terms += 1
            if self.terms > MAX_CONTEXT_TERMS:
                raise JsonLdError(f"more than {MAX_CONTEXT_TERMS} term definitions")
            if isinstance(definition, dict) and "@context" in definition:
                self.scoped += 1
                if self.scoped > MAX_SCOPED_CONTEXTS:
                    raise JsonLdError(f"more than {MAX_SCOPED_CONTEXTS} scoped contexts")
                if level + 1 > MAX_CONTEXT_DEPTH:
                    raise JsonLdError(f"scoped contexts nested deeper than {MAX_CONTEXT_DEPTH}")
                pending.append((definition["@context"], level + 1))
