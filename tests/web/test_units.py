"""The pages' pure parts: the language choice, Russian plurals, locale formats,
safe ``next=`` targets, hashed static names and the CSP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from web import assets, i18n
from web.page import content_security_policy, safe_next


@pytest.mark.parametrize(
    ("account", "visitor", "header", "default", "expected"),
    [
        ("en", "ru", "ru", "ru", "en"),  # the account's choice first
        (None, "en", "ru-RU,ru;q=0.9", "ru", "en"),  # then the switch's cookie
        (None, None, "de-DE,en;q=0.8,ru;q=0.9", "en", "ru"),  # then q-values
        (None, None, "en-GB, ru", "ru", "en"),  # ties: header order
        (None, None, "de, fr;q=0.5", "en", "en"),  # then the node's default
        (None, None, "ru;q=0", "en", "en"),  # q=0 means "not this"
        (None, None, None, "xx", "ru"),  # a bad default falls back to the first
        ("xx", "yy", "ru;q=bad", "en", "en"),
    ],
)
def test_language_choice(account, visitor, header, default, expected) -> None:
    assert i18n.choose_language(account, visitor, header, default) == expected


def test_russian_plurals_come_from_the_catalog() -> None:
    i18n.activate("ru")
    forms = [
        i18n.ngettext("%(num)d review", "%(num)d reviews", n) % {"num": n}
        for n in (1, 2, 5, 11, 21, 22, 25)
    ]
    assert forms == [
        "1 отзыв",
        "2 отзыва",
        "5 отзывов",
        "11 отзывов",
        "21 отзыв",
        "22 отзыва",
        "25 отзывов",
    ]
    i18n.activate("en")
    assert i18n.ngettext("%(num)d review", "%(num)d reviews", 1) % {"num": 1} == "1 review"
    assert i18n.gettext("Library") == "Library"
    i18n.activate("ru")
    assert i18n.gettext("Library") == "Библиотека"


def test_dates_and_numbers_follow_locale_and_zone() -> None:
    moment = datetime(2026, 12, 7, 21, 30, tzinfo=UTC)
    assert "8" in i18n.day(moment, "ru", "Asia/Vladivostok")  # already the 8th there
    assert "декабря" in i18n.day(moment, "ru", "Europe/Moscow")
    assert "December" in i18n.day(moment, "en", "UTC")
    assert "00:30" in i18n.when(moment, "ru", "Europe/Moscow")
    assert i18n.number(1234.5, "ru") == "1\xa0234,5"
    assert i18n.number(1234.5, "en") == "1,234.5"
    assert i18n.zone("Not/AZone").key == "UTC"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "",
        None,
        "x" * 3000,
    ],
)
def test_next_never_leaves_the_site(target) -> None:
    assert safe_next(target) == "/"


def test_next_keeps_local_paths() -> None:
    assert safe_next("/materials?q=a&sort=rating") == "/materials?q=a&sort=rating"


def test_static_names_carry_their_digest() -> None:
    url = assets.static_url("style.css")
    assert url.startswith("/static/style.") and url.endswith(".css")
    assert len(url.split(".")) == 3
    assert assets.static_url("app.js") != "/static/app.js"


def test_csp_allows_no_inline_script() -> None:
    policy = content_security_policy(allow_http=False)
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "http:" not in policy


def test_bars_scale_to_the_largest_value() -> None:
    from web.charts import HEIGHT, bars

    drawn = bars([0, 5, 10], ["a", "b", "c"])
    assert [b.height for b in drawn] == [0, HEIGHT / 2, HEIGHT]
    assert drawn[2].y == 0 and drawn[0].y == HEIGHT
    assert bars([0, 0], ["a", "b"])[1].height == 0
    assert bars([], []) == []


def test_hourly_buckets_keep_only_the_last_day() -> None:
    from datetime import timedelta

    from outbox.health import _buckets

    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    times = [
        now - timedelta(minutes=30),
        now - timedelta(hours=23, minutes=30),
        now - timedelta(hours=25),
    ]
    counts = _buckets(times, now)
    assert len(counts) == 24 and counts[-1] == 1 and counts[0] == 1 and sum(counts) == 2
