"""The value readers every part of the AS2 converters shares: times, web URLs, short text.

Posts, their tags and attachments, and each type's ``extra`` terms are read
(and written) by separate modules; these few rules must be the same in all of
them, so that a time or a link means one thing wherever it appears.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from federation.vocab import text_of

MAX_TEXT = 2000


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from the ISO 8601 forms servers send, or None.

    Pleroma sends some times without a zone (read as UTC); Go servers send
    nanoseconds (cut to microseconds).
    """
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if "." in text:
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}" if digits else head + tail
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_or_none(value: Any) -> str | None:
    parsed = parse_time(value)
    return iso(parsed) if parsed else None


def is_web_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def short_text(value: Any) -> str | None:
    text = text_of(value)
    return text[:MAX_TEXT] if text is not None else None
