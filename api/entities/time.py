"""Timestamps the way Mastodon writes them: ISO 8601 UTC with milliseconds.

Apps parse ``2026-11-26T13:08:55.123Z``; some (Tusky's Moshi adapters) choke
on microseconds or on ``+00:00``, so every entity formats through here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(value: datetime) -> str:
    """``2026-11-26T13:08:55.123Z`` (an aware datetime; naive ones are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def iso_ms_or_none(value: datetime | None) -> str | None:
    return None if value is None else iso_ms(value)


def midnight_ms(value: datetime) -> str:
    """The day of ``value`` at midnight UTC: Mastodon rounds ``Account.created_at`` so (3.4+)."""
    day = value.astimezone(UTC) if value.tzinfo else value
    return day.strftime("%Y-%m-%dT00:00:00.000Z")


def date_only(value: datetime | None) -> str | None:
    """``2026-11-26``: ``Account.last_status_at`` is a date, not a time (3.1+)."""
    if value is None:
        return None
    day = value.astimezone(UTC) if value.tzinfo else value
    return day.strftime("%Y-%m-%d")
