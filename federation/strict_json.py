"""JSON as RFC 8259 says it, within our limits: the one parser for what strangers send.

Python's ``json`` module is lenient where a server must not be: it reads
``NaN``, ``Infinity`` and ``-Infinity`` (not JSON; a float such as ``1e999``
overflows to infinity too), recurses until Python's own limit (then raises
RecursionError, which is a 500 where nobody catches it), and hands back NUL
characters and unpaired surrogates, which PostgreSQL refuses to store. Every
JSON the node parses from outside (inbox and C2S bodies, fetched documents,
API bodies, streaming messages) goes through :func:`loads` or
:func:`loads_object`, which refuse all of these with a :class:`JsonError`
(a 400 with a reason) and never raise anything else.

The checks cost almost nothing on ordinary documents: a body with fewer
brackets than :data:`~federation.limits.MAX_JSON_DEPTH` cannot be too deep,
and only a body that spells ``\\u0000`` or a surrogate escape has its strings
looked at.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from federation.errors import FederationError
from federation.limits import MAX_JSON_DEPTH

# Escapes that may decode to a NUL or to half of a surrogate pair.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_SUSPECT_ESCAPE_TEXT = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
#: The reason given for a body that does not parse at all.
NOT_JSON = "the body is not valid JSON"


class JsonError(FederationError):
    """The body is not JSON we accept; ``reason`` says why."""

    status = 400


def _no_constants(name: str) -> Any:
    raise JsonError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonError(f"the number {text[:40]} is out of range")
    return value


def _walk(doc: Any, max_depth: int, strings: bool) -> None:
    """Refuse nesting deeper than ``max_depth`` and (``strings``) bad characters."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                raise JsonError(f"JSON nested deeper than {max_depth} levels")
            for key, item in value.items():
                if strings and _BAD_CHARS.search(key):
                    raise JsonError("JSON strings must not contain NUL or unpaired surrogates")
                if isinstance(item, dict | list):
                    stack.append((item, depth + 1))
                elif strings and isinstance(item, str) and _BAD_CHARS.search(item):
                    raise JsonError("JSON strings must not contain NUL or unpaired surrogates")
        elif isinstance(value, list):
            if depth > max_depth:
                raise JsonError(f"JSON nested deeper than {max_depth} levels")
            for item in value:
                if isinstance(item, dict | list):
                    stack.append((item, depth + 1))
                elif strings and isinstance(item, str) and _BAD_CHARS.search(item):
                    raise JsonError("JSON strings must not contain NUL or unpaired surrogates")
        elif strings and isinstance(value, str) and _BAD_CHARS.search(value):
            raise JsonError("JSON strings must not contain NUL or unpaired surrogates")


def loads(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse ``body`` strictly; :class:`JsonError` for anything we do not accept."""
    try:
        doc = json.loads(body, parse_constant=_no_constants, parse_float=_finite)
    except JsonError:
        raise
    except RecursionError:
        raise JsonError(f"JSON nested deeper than {max_depth} levels") from None
    except (ValueError, TypeError):  # JSONDecodeError, UnicodeDecodeError, huge integers
        raise JsonError(NOT_JSON) from None
    if isinstance(body, bytes):
        brackets = body.count(b"[") + body.count(b"{")
        suspect = _SUSPECT_ESCAPE.search(body) is not None
    else:
        brackets = body.count("[") + body.count("{")
        suspect = _SUSPECT_ESCAPE_TEXT.search(body) is not None
    if brackets > max_depth or suspect:
        _walk(doc, max_depth, suspect)
    return doc


def loads_object(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """Like :func:`loads`, for bodies that must be one JSON object."""
    doc = loads(body, max_depth=max_depth)
    if not isinstance(doc, dict):
        raise JsonError("the body is not a JSON object")
    return doc
