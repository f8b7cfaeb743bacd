"""A person's choices for the web pages (language, time zone, default visibility).

Read and written only through here, so the pages and the settings form agree
on what is valid: a language the node has catalogs for, a time zone the
system's tz database knows, a visibility a post may have. A value of
``None`` means "not chosen".
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AccountSettings, Visibility
from storage.types import utcnow

LANGUAGES = ("ru", "en")
VISIBILITIES = tuple(v.value for v in Visibility)


class SettingRefused(ValueError):
    """A value the pages cannot use (an unknown language, zone or visibility)."""


@dataclass(frozen=True)
class Choices:
    language: str | None = None
    time_zone: str | None = None
    default_visibility: str | None = None


def valid_time_zone(name: str) -> bool:
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


async def read(session: AsyncSession, account_id: int | None) -> Choices:
    row = None if account_id is None else await session.get(AccountSettings, account_id)
    if row is None:
        return Choices()
    return Choices(row.language, row.time_zone, row.default_visibility)


def _check(choices: Choices) -> None:
    if choices.language is not None and choices.language not in LANGUAGES:
        raise SettingRefused(f"unknown language {choices.language!r}")
    if choices.time_zone is not None and not valid_time_zone(choices.time_zone):
        raise SettingRefused(f"unknown time zone {choices.time_zone!r}")
    if choices.default_visibility is not None and choices.default_visibility not in VISIBILITIES:
        raise SettingRefused(f"unknown visibility {choices.default_visibility!r}")


async def write(session: AsyncSession, account_id: int, choices: Choices) -> None:
    """Stores all three in the caller's transaction (the caller commits)."""
    _check(choices)
    row = await session.get(AccountSettings, account_id)
    if row is None:
        row = AccountSettings(account_id=account_id)
    row.language = choices.language
    row.time_zone = choices.time_zone
    row.default_visibility = choices.default_visibility
    row.updated_at = utcnow()
    session.add(row)


async def set_language(session: AsyncSession, account_id: int, language: str) -> None:
    current = await read(session, account_id)
    await write(
        session, account_id, Choices(language, current.time_zone, current.default_visibility)
    )
