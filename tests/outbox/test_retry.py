"""The retry rules, table by table, with no clock and a seeded rng."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from federation.errors import FetchError, UnsafeURLError
from outbox.retry import (
    DEFAULT_POLICY,
    Outcome,
    RetryPolicy,
    classify,
    next_delay,
    parse_retry_after,
    total_schedule,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


class Fixed(random.Random):
    """An rng whose uniform() always returns one end (or the middle) of the range."""

    def __init__(self, where: str) -> None:
        super().__init__(0)
        self.where = where

    def uniform(self, a: float, b: float) -> float:
        return {"low": a, "mid": (a + b) / 2, "high": b}[self.where]


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [
        (1, 30),
        (2, 60),
        (3, 120),
        (5, 480),
        (10, 15360),
        (11, 30720),
        (12, 43200),  # capped at 12 h
        (16, 43200),
        (500, 43200),  # no overflow far past the cap
    ],
)
def test_delays_grow_exponentially_to_the_cap(attempts: int, seconds: int) -> None:
    assert next_delay(attempts, Fixed("mid")) == timedelta(seconds=seconds)


@pytest.mark.parametrize(("where", "factor"), [("low", 0.75), ("high", 1.25)])
def test_jitter_stays_within_a_quarter(where: str, factor: float) -> None:
    assert next_delay(4, Fixed(where)) == timedelta(seconds=240 * factor)


def test_jitter_spreads_rows_failed_together() -> None:
    rng = random.Random(1)
    delays = {next_delay(3, rng) for _ in range(50)}
    assert len(delays) == 50
    assert all(timedelta(seconds=90) <= d <= timedelta(seconds=150) for d in delays)


def test_the_schedule_is_about_three_days_over_seventeen_attempts() -> None:
    assert DEFAULT_POLICY.max_attempts == 17
    total = total_schedule()
    assert timedelta(days=3) <= total <= timedelta(days=3.5)
    assert not DEFAULT_POLICY.exhausted(16)
    assert DEFAULT_POLICY.exhausted(17)


def test_a_policy_for_tests_is_fast() -> None:
    fast = RetryPolicy(base=timedelta(milliseconds=50), cap=timedelta(seconds=1), max_attempts=4)
    assert next_delay(1, Fixed("mid"), fast) == timedelta(milliseconds=50)
    assert next_delay(9, Fixed("mid"), fast) == timedelta(seconds=1)
    assert total_schedule(fast) == timedelta(milliseconds=350)


@pytest.mark.parametrize(
    ("status", "error", "outcome"),
    [
        (200, None, Outcome.SENT),
        (202, None, Outcome.SENT),
        (204, None, Outcome.SENT),
        (400, None, Outcome.FAILED),
        (403, None, Outcome.FAILED),
        (404, None, Outcome.FAILED),
        (413, None, Outcome.FAILED),
        (422, None, Outcome.FAILED),
        (410, None, Outcome.GONE),
        (401, None, Outcome.RETRY),  # Mastodon: a key fetch that failed on their side
        (408, None, Outcome.RETRY),
        (429, None, Outcome.RETRY),
        (500, None, Outcome.RETRY),
        (502, None, Outcome.RETRY),
        (503, None, Outcome.RETRY),
        (501, None, Outcome.FAILED),
        (301, None, Outcome.RETRY),  # a POST redirect we do not follow
        (None, FetchError("connection refused"), Outcome.RETRY),
        (None, FetchError("timed out"), Outcome.RETRY),
        (None, None, Outcome.RETRY),
        (None, UnsafeURLError("private address"), Outcome.FAILED),
    ],
)
def test_classify(status: int | None, error: BaseException | None, outcome: Outcome) -> None:
    assert classify(status, error) is outcome


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("Wed, 01 May 2024 12:05:00 GMT", timedelta(minutes=5)),
        ("Wednesday, 01-May-24 12:00:30 GMT", timedelta(seconds=30)),  # RFC 850 form
        ("Wed May  1 12:01:00 2024", timedelta(minutes=1)),  # asctime form
        ("Wed, 01 May 2024 11:00:00 GMT", timedelta(0)),  # already past
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(value, NOW) == expected
