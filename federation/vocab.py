"""Tolerant getters for ActivityStreams values.

AS2 lets nearly every property be a string, an object, or an array of either,
and real servers use all three shapes; these helpers give one shape back.
"""

from __future__ import annotations

from typing import Any

ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def id_of(value: Any) -> str | None:
    """The id of a link, an embedded object, or the first of an array of them."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("id", value.get("href"))
        return inner if isinstance(inner, str) else None
    if isinstance(value, list) and value:
        return id_of(value[0])
    return None


def ids_of(value: Any) -> list[str]:
    return [i for i in (id_of(v) for v in as_list(value)) if i]


def text_of(value: Any) -> str | None:
    """A plain string property, tolerating a one-element array or a language map."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return text_of(value[0])
    if isinstance(value, dict) and value:
        first = next(iter(value.values()))
        return first if isinstance(first, str) else None
    return None


def type_of(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str)), None)
    return kind if isinstance(kind, str) else None


def url_of(value: Any) -> str | None:
    """A URL from ``url``/``icon``-style values: a string, a Link, an Image, or a list."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("href", value.get("url"))
        return url_of(inner)
    if isinstance(value, list):
        for item in value:
            found = url_of(item)
            if found:
                return found
    return None
