"""The per-host circuit breaker: pure state transitions over a host's health.

Why: a server that is down would otherwise eat one attempt of every row
queued for it on every pass, burning their retry budget in hours and keeping
workers busy with connections that time out. Once a host has failed
``threshold`` times in a row it is *open*: its rows are parked (not claimed,
so their ``attempts`` do not move) until ``open_until``. Then it is
*half-open*: exactly one row is tried (the probe). Success closes the host
and its parked rows flow again; failure reopens it for twice as long, up to
``max_open``.

The threshold is 5: one failure says little (a deploy, a blip), and five in
a row, at our backoff, is a host that has been unreachable for minutes.
``max_open`` is an hour, so a host that comes back waits at most that long
plus its rows' own backoff.

States are read from the stored row (``host_health``): no row, or
``open_until`` NULL, is *closed*; ``open_until`` in the future is *open*;
``open_until`` past is *half-open*. Arming a probe pushes ``open_until``
forward by ``probe_window`` (the probe row's lease), so two workers never
probe one host at once and a probe lost to a crash re-arms by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from federation.errors import UnsafeURLError


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class Verdict(StrEnum):
    """What one attempt says about the host (not about the row)."""

    UP = "up"
    DOWN = "down"
    #: Says nothing either way: a 429, or a request we never made.
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class BreakerPolicy:
    threshold: int = 5
    base_open: timedelta = timedelta(minutes=1)
    factor: float = 2.0
    max_open: timedelta = timedelta(hours=1)
    probe_window: timedelta = timedelta(seconds=30)


DEFAULT_BREAKER = BreakerPolicy()


@dataclass(frozen=True)
class Health:
    """The breaker's view of one host, as stored in ``host_health``."""

    failures: int = 0
    open_until: datetime | None = None
    last_failure_at: datetime | None = None
    last_success_at: datetime | None = None


def state(health: Health, now: datetime) -> BreakerState:
    if health.open_until is None:
        return BreakerState.CLOSED
    if health.open_until > now:
        return BreakerState.OPEN
    return BreakerState.HALF_OPEN


def judge(status: int | None, error: BaseException | None = None) -> Verdict:
    """Did the host answer like a working server? 5xx and no answer say no."""
    if status is None:
        return Verdict.NEUTRAL if isinstance(error, UnsafeURLError) else Verdict.DOWN
    if status == 429:
        return Verdict.NEUTRAL
    if 500 <= status < 600 and status != 501:
        return Verdict.DOWN
    return Verdict.UP


def open_interval(failures: int, policy: BreakerPolicy = DEFAULT_BREAKER) -> timedelta:
    """How long a host stays open after its ``failures``-th consecutive failure."""
    exponent = min(64, max(0, failures - policy.threshold))
    seconds = policy.base_open.total_seconds() * policy.factor**exponent
    return timedelta(seconds=min(policy.max_open.total_seconds(), seconds))


def on_success(health: Health, now: datetime) -> Health:
    """Any answer from a working server closes the breaker."""
    return Health(
        failures=0, open_until=None, last_failure_at=health.last_failure_at, last_success_at=now
    )


def on_failure(
    health: Health, now: datetime, policy: BreakerPolicy = DEFAULT_BREAKER, *, probe: bool = False
) -> Health:
    """Count a failure; open (or reopen, longer) at the threshold.

    While the host is open or half-open only the probe's failure counts: the
    other failures are requests that were already in flight when it opened,
    and counting them would stretch the open interval for no new reason.
    """
    if not probe and state(health, now) is not BreakerState.CLOSED:
        return replace(health, last_failure_at=now)
    failures = health.failures + 1
    open_until = now + open_interval(failures, policy) if failures >= policy.threshold else None
    return Health(
        failures=failures,
        open_until=open_until,
        last_failure_at=now,
        last_success_at=health.last_success_at,
    )


def apply(
    health: Health,
    verdict: Verdict,
    now: datetime,
    policy: BreakerPolicy = DEFAULT_BREAKER,
    *,
    probe: bool = False,
) -> Health:
    if verdict is Verdict.UP:
        return on_success(health, now)
    if verdict is Verdict.DOWN:
        return on_failure(health, now, policy, probe=probe)
    return health


def arm_probe(
    health: Health, now: datetime, policy: BreakerPolicy = DEFAULT_BREAKER
) -> Health | None:
    """Half-open → take the probe: the host stays closed to others meanwhile.

    Returns None when the host is not half-open (nothing to probe). The
    database does the same as one conditional UPDATE (see
    :func:`outbox.queue.arm_probes`), so only one worker wins.
    """
    if state(health, now) is not BreakerState.HALF_OPEN:
        return None
    return replace(health, open_until=now + policy.probe_window)
