"""The per-host circuit breaker's transitions, as tables over a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.errors import FetchError, UnsafeURLError
from outbox.breaker import (
    BreakerPolicy,
    BreakerState,
    Health,
    Verdict,
    apply,
    arm_probe,
    judge,
    on_failure,
    on_success,
    open_interval,
    state,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
POLICY = BreakerPolicy(
    threshold=5,
    base_open=timedelta(minutes=1),
    factor=2,
    max_open=timedelta(hours=1),
    probe_window=timedelta(seconds=30),
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("open_until", "expected"),
    [
        (None, BreakerState.CLOSED),
        (at(10), BreakerState.OPEN),
        (at(0), BreakerState.HALF_OPEN),
        (at(-10), BreakerState.HALF_OPEN),
    ],
)
def test_state_is_read_from_open_until(open_until: datetime | None, expected: BreakerState) -> None:
    assert state(Health(failures=5, open_until=open_until), T0) is expected


@pytest.mark.parametrize(
    ("status", "error", "verdict"),
    [
        (202, None, Verdict.UP),
        (404, None, Verdict.UP),  # a working server saying no
        (410, None, Verdict.UP),
        (401, None, Verdict.UP),
        (501, None, Verdict.UP),
        (429, None, Verdict.NEUTRAL),  # throttled: Retry-After handles it, not the breaker
        (500, None, Verdict.DOWN),
        (502, None, Verdict.DOWN),
        (503, None, Verdict.DOWN),
        (None, FetchError("connection refused"), Verdict.DOWN),
        (None, FetchError("timed out"), Verdict.DOWN),
        (None, UnsafeURLError("private address"), Verdict.NEUTRAL),  # never contacted
    ],
)
def test_judge(status: int | None, error: BaseException | None, verdict: Verdict) -> None:
    assert judge(status, error) is verdict


def test_opens_after_threshold_consecutive_failures() -> None:
    health = Health()
    for i in range(1, 5):
        health = on_failure(health, at(i), POLICY)
        assert health.failures == i
        assert state(health, at(i)) is BreakerState.CLOSED
    health = on_failure(health, at(5), POLICY)
    assert health.failures == 5
    assert health.open_until == at(5 + 60)
    assert state(health, at(6)) is BreakerState.OPEN
    assert health.last_failure_at == at(5)


def test_a_success_resets_the_count() -> None:
    health = Health()
    for i in range(4):
        health = on_failure(health, at(i), POLICY)
    health = on_success(health, at(10))
    assert health == Health(0, None, at(3), at(10))
    health = on_failure(health, at(11), POLICY)
    assert state(health, at(11)) is BreakerState.CLOSED


@pytest.mark.parametrize(
    ("failures", "interval"),
    [
        (5, timedelta(minutes=1)),
        (6, timedelta(minutes=2)),
        (7, timedelta(minutes=4)),
        (10, timedelta(minutes=32)),
        (11, timedelta(hours=1)),  # capped
        (1000, timedelta(hours=1)),
    ],
)
def test_open_interval_grows_to_its_cap(failures: int, interval: timedelta) -> None:
    assert open_interval(failures, POLICY) == interval


def test_stragglers_failing_while_open_do_not_stretch_it() -> None:
    health = Health()
    for _ in range(5):
        health = on_failure(health, at(0), POLICY)
    opened = health
    for _ in range(50):  # the rest of a batch that was in flight when it opened
        health = on_failure(health, at(1), POLICY)
    assert health.failures == opened.failures
    assert health.open_until == opened.open_until
    assert health.last_failure_at == at(1)


def test_half_open_arms_one_probe() -> None:
    health = Health(failures=5, open_until=at(60))
    assert arm_probe(health, at(30), POLICY) is None  # still open
    armed = arm_probe(health, at(61), POLICY)
    assert armed is not None
    assert armed.open_until == at(61 + 30)
    assert state(armed, at(62)) is BreakerState.OPEN  # no one else claims meanwhile
    assert arm_probe(armed, at(62), POLICY) is None  # a second worker does not win it
    assert arm_probe(Health(), at(0), POLICY) is None  # closed: nothing to probe


def test_probe_success_closes() -> None:
    armed = Health(failures=5, open_until=at(90))
    closed = apply(armed, Verdict.UP, at(70), POLICY, probe=True)
    assert state(closed, at(70)) is BreakerState.CLOSED
    assert closed.failures == 0
    assert closed.last_success_at == at(70)


def test_probe_failure_reopens_longer() -> None:
    armed = Health(failures=5, open_until=at(90))
    reopened = apply(armed, Verdict.DOWN, at(70), POLICY, probe=True)
    assert reopened.failures == 6
    assert reopened.open_until == at(70 + 120)
    again = apply(Health(failures=6, open_until=at(200)), Verdict.DOWN, at(195), POLICY, probe=True)
    assert again.open_until == at(195 + 240)


def test_neutral_changes_nothing() -> None:
    health = Health(failures=3)
    assert apply(health, Verdict.NEUTRAL, at(1), POLICY) == health
