"""When the delivery worker writes its outcomes: soon, but not once per send."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from outbox.breaker import Verdict
from outbox.config import DeliveryConfig
from outbox.outcomes import Outcomes
from outbox.queue import Job
from outbox.record import Result
from outbox.retry import Outcome

CONFIG = DeliveryConfig(flush_every=0.02, flush_size=3, flush_max_wait=0.5)


def _result(n: int) -> Result:
    job = Job(
        id=n, activity_id=1, inbox_url="https://a.example/inbox", host="a.example", attempts=0,
        probe=False,
    )  # fmt: skip
    return Result(job, Outcome.SENT, Verdict.UP, 202, None, datetime.now(UTC))


async def _due_after(outcomes: Outcomes, *, idle: bool) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await outcomes.due(lambda: idle)
    return loop.time() - started


async def test_a_busy_worker_holds_outcomes_up_to_flush_max_wait() -> None:
    outcomes = Outcomes(CONFIG)
    outcomes.add(_result(1))
    waited = await _due_after(outcomes, idle=False)
    assert waited >= CONFIG.flush_max_wait - 0.01
    assert [r.job.id for r in outcomes.take()] == [1]
    assert outcomes.waiting == []


async def test_an_idle_worker_writes_after_flush_every() -> None:
    outcomes = Outcomes(CONFIG)
    outcomes.add(_result(1))
    waited = await _due_after(outcomes, idle=True)
    assert CONFIG.flush_every - 0.005 <= waited < CONFIG.flush_max_wait


async def test_a_full_batch_is_due_at_once_and_settle_ends_the_wait() -> None:
    outcomes = Outcomes(CONFIG)
    for n in range(CONFIG.flush_size):
        outcomes.add(_result(n))
    assert await _due_after(outcomes, idle=False) < CONFIG.flush_max_wait
    outcomes.take()
    outcomes.add(_result(9))
    asyncio.get_running_loop().call_later(0.05, outcomes.settle)
    assert await _due_after(outcomes, idle=False) < CONFIG.flush_max_wait


async def test_nothing_waiting_means_no_write_until_an_outcome_comes() -> None:
    outcomes = Outcomes(CONFIG)
    waiter = asyncio.ensure_future(outcomes.due(lambda: True))
    await asyncio.sleep(0.1)
    assert not waiter.done()
    outcomes.add(_result(1))
    await asyncio.wait_for(waiter, CONFIG.flush_max_wait)


async def test_outcomes_given_back_wait_again_before_the_newer_ones() -> None:
    outcomes = Outcomes(CONFIG)
    outcomes.add(_result(1))
    batch = outcomes.take()
    outcomes.add(_result(2))
    outcomes.give_back(batch)
    assert [r.job.id for r in outcomes.waiting] == [1, 2]
    assert await _due_after(outcomes, idle=False) >= CONFIG.flush_max_wait - 0.01


async def test_close_releases_the_writer() -> None:
    outcomes = Outcomes(CONFIG)
    waiter = asyncio.ensure_future(outcomes.due(lambda: False))
    await asyncio.sleep(0)
    outcomes.close()
    await asyncio.wait_for(waiter, 0.1)
    assert outcomes.closing
