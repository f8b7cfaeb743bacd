"""The pages' languages: gettext catalogs (ru, en), the choice of one, and locale formatting.

Catalogs live in ``web/locale/<lang>/LC_MESSAGES/messages.po`` (``make
messages`` extracts and updates them with Babel). A ``.mo`` is compiled in
memory from the ``.po`` the first time a language is used, so a clean
checkout works without a build step; a compiled ``.mo`` beside it that is
not older than the ``.po`` is read instead.

The language of a page: the account's choice, then the visitor's choice (a
cookie set by the switch), then ``Accept-Language``, then the node's
default. The catalog for the request is held in a context variable, which
the templates' ``_``/``ngettext`` and Python's :func:`gettext` read, so a
message is translated for whoever the current request is for.
"""

from __future__ import annotations

import functools
import gettext as gettext_module
import io
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from actors.account_settings import LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
MAX_ACCEPT_LANGUAGE = 512

_NONE = gettext_module.NullTranslations()
_current: ContextVar[gettext_module.NullTranslations | None] = ContextVar(
    "web_translations", default=None
)


@functools.cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The catalog for ``language`` (compiled from its ``.po`` when no fresh ``.mo`` exists)."""
    if language not in LANGUAGES:
        return gettext_module.NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext_module.GNUTranslations(handle)
    if not po.exists():
        return gettext_module.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def activate(language: str) -> None:
    """Makes ``language`` the current request's language."""
    _current.set(translations(language))


def gettext(message: str) -> str:
    return (_current.get() or _NONE).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return (_current.get() or _NONE).ngettext(singular, plural, n)


_ = gettext


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages the header accepts, by its q-values (ties: header order)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def choose_language(
    account_choice: str | None,
    visitor_choice: str | None,
    accept_language: str | None,
    node_default: str,
) -> str:
    for candidate in (account_choice, visitor_choice, from_accept_language(accept_language)):
        if candidate in LANGUAGES:
            return candidate
    return node_default if node_default in LANGUAGES else LANGUAGES[0]


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


@functools.cache
def locale(language: str) -> Locale:
    return Locale.parse(language)


def when(value: datetime, language: str, time_zone: str, *, style: str = "medium") -> str:
    """A moment in the viewer's language and time zone."""
    return format_datetime(value, style, tzinfo=zone(time_zone), locale=locale(language))


def day(value: datetime, language: str, time_zone: str) -> str:
    return format_date(value.astimezone(zone(time_zone)).date(), "long", locale=locale(language))


def number(value: float, language: str) -> str:
    return format_decimal(value, locale=locale(language))
