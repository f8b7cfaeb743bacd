"""The one Jinja2 environment of the pages, through Starlette's templating.

Autoescaping is on for every template (HTML is never built in Python
strings); the gettext callables are the request's catalog
(:mod:`web.i18n`, new-style: ``_("Hello %(name)s", name=...)`` escapes its
arguments); filters format dates and numbers for the viewer.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.templating import Jinja2Templates

from content.materials.vocabulary import GRADES, LICENSES, MATERIAL_TYPES, SUBJECTS, Label
from web import assets, i18n

TEMPLATE_DIR = Path(__file__).parent / "templates"


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.ngettext(singular, plural, n)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=_ngettext, newstyle=True
    )
    env.globals["static"] = assets.static_url
    return env


@functools.cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment())


def formatters(language: str, time_zone: str) -> dict[str, Any]:
    """Per-request helpers the templates call: ``when(dt)``, ``day(dt)``, ``number(n)``."""

    def when(value: datetime | None, style: str = "medium") -> str:
        return "" if value is None else i18n.when(value, language, time_zone, style=style)

    def day(value: datetime | None) -> str:
        return "" if value is None else i18n.day(value, language, time_zone)

    def number(value: float) -> str:
        return i18n.number(value, language)

    def month_name(value: date) -> str:
        return format_date(value, "LLLL y", locale=i18n.locale(language)).capitalize()

    def weekday_name(value: date) -> str:
        return format_date(value, "EEE", locale=i18n.locale(language))

    def labeller(table: dict[str, Label]) -> Any:
        def label(code: str | None) -> str:
            found = table.get(code or "")
            if found is None:
                return code or ""
            return found.ru if language == "ru" else found.en

        return label

    return {
        "when": when,
        "day": day,
        "number": number,
        "month_name": month_name,
        "weekday_name": weekday_name,
        "subject_label": labeller(SUBJECTS),
        "grade_label": labeller(GRADES),
        "type_label": labeller(MATERIAL_TYPES),
        "license_label": labeller(LICENSES),
        "role_label": role_label,
    }


def role_label(role: str) -> str:
    _ = i18n.gettext
    names = {
        "admin": _("Administrator"),
        "moderator": _("Moderator"),
        "teacher": _("Teacher"),
        "student": _("Student"),
        "parent": _("Parent"),
    }
    return names.get(role, role)
