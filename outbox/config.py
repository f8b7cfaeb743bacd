"""The delivery worker's knobs, apart from the worker so that the node's
settings (:mod:`staffroom.workers`) and the tests can build one without
reaching into the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from outbox import breaker
from outbox.retry import DEFAULT_POLICY, RetryPolicy


@dataclass(frozen=True)
class DeliveryConfig:
    retry: RetryPolicy = DEFAULT_POLICY
    breaker: breaker.BreakerPolicy = field(default_factory=breaker.BreakerPolicy)
    #: Short, so a dead worker's rows come back soon; renewed while we hold them.
    lease: timedelta = timedelta(seconds=30)
    concurrency: int = 64
    per_host: int = 4
    claim_batch: int = 256
    #: Seconds between polls when nothing is due. New rows committed on this
    #: machine wake the worker at once (the outbox beacon); the poll finds
    #: retries coming due and rows queued elsewhere.
    idle_poll: float = 0.5
    #: Outcomes wait at least ``flush_every`` s, then are written once ``flush_size``
    #: wait or nothing is in flight, and at the latest after ``flush_max_wait`` s:
    #: a commit per tenth of a second would cost a slow fan-out more than its sends.
    flush_every: float = 0.05
    flush_size: int = 128
    flush_max_wait: float = 1.0
    #: Rows still pending after this long (a host parked for days) end as dead.
    max_age: timedelta = timedelta(days=5)
    expire_every: float = 300.0
    #: How long a stopping worker lets sends in flight finish.
    stop_grace: float = 5.0
