"""Recording delivery outcomes in batches: rows, gone actors, host health.

One transaction writes the outcomes of many deliveries: one UPDATE for all
rows sent with the same status, one executemany for the rest, one read and
one upsert of the hosts' breaker state. That is what makes a 1,000-inbox
fan-out cost a handful of commits instead of a thousand.

Host health is read-modify-written (locked with FOR UPDATE on PostgreSQL);
the rules themselves are the pure functions of :mod:`outbox.breaker`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from outbox import breaker
from outbox.queue import Job
from outbox.retry import Outcome, RetryPolicy, next_delay
from storage.dialects import locked, session_insert
from storage.models import Actor, Delivery, DeliveryState, HostHealth
from storage.types import utcnow

_DELIVERIES: Any = Delivery.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Result:
    """One attempt's outcome, waiting to be written with its batch."""

    job: Job
    outcome: Outcome
    verdict: breaker.Verdict
    status: int | None
    error: str | None
    at: datetime
    retry_after: timedelta | None = None


def _row_update(result: Result, policy: RetryPolicy, rng: random.Random) -> dict[str, Any]:
    attempts = result.job.attempts + 1
    values: dict[str, Any] = {
        "b_id": result.job.id,
        "attempts": attempts,
        "last_status": result.status,
        "last_error": result.error,
        "updated_at": result.at,
        "next_attempt_at": result.at,
        "state": DeliveryState.FAILED,
    }
    if result.outcome is Outcome.RETRY:
        if policy.exhausted(attempts):
            values["state"] = DeliveryState.DEAD
        else:
            values["state"] = DeliveryState.PENDING
            if result.retry_after is not None:
                delay = min(result.retry_after, policy.max_retry_after)
            else:
                delay = next_delay(attempts, rng, policy)
            values["next_attempt_at"] = result.at + delay
    return values


async def _record_rows(
    session: AsyncSession, results: list[Result], policy: RetryPolicy, rng: random.Random
) -> None:
    sent: dict[int | None, list[int]] = {}
    others: list[dict[str, Any]] = []
    for result in results:
        if result.outcome is Outcome.SENT:
            sent.setdefault(result.status, []).append(result.job.id)
        else:
            others.append(_row_update(result, policy, rng))
    now = utcnow()
    for status, ids in sent.items():
        await session.exec(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id.in_(ids))
            .values(
                state=DeliveryState.SENT,
                attempts=_DELIVERIES.c.attempts + 1,
                locked_until=None,
                last_status=status,
                last_error=None,
                updated_at=now,
            )
        )
    if others:
        stmt = (
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id == bindparam("b_id"))
            .values(
                state=bindparam("state"),
                attempts=bindparam("attempts"),
                next_attempt_at=bindparam("next_attempt_at"),
                locked_until=None,
                last_status=bindparam("last_status"),
                last_error=bindparam("last_error"),
                updated_at=bindparam("updated_at"),
            )
        )
        await session.exec(stmt, params=others)


async def mark_gone(session: AsyncSession, inbox_url: str) -> bool:
    """410 from ``inbox_url``: if it is one remote actor's own inbox, that actor is gone.

    A shared inbox answering 410 speaks for the host (or an endpoint that moved),
    not for any one actor, so it marks nobody. Other pending rows to the
    gone inbox end with it.
    """
    shared = await session.exec(
        select(Actor.id).where(col(Actor.shared_inbox_url) == inbox_url).limit(1)
    )
    if shared.first() is not None:
        return False
    owners = (
        await session.exec(
            select(Actor.id).where(col(Actor.inbox_url) == inbox_url, col(Actor.local).is_(False))
        )
    ).all()
    if len(owners) != 1:
        return False
    now = utcnow()
    await session.exec(
        update(Actor)
        .where(col(Actor.id) == owners[0])
        .values(gone=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.exec(
        update(Delivery)
        .where(
            col(Delivery.inbox_url) == inbox_url,
            col(Delivery.state) == DeliveryState.PENDING,
        )
        .values(
            state=DeliveryState.FAILED,
            last_status=410,
            last_error="recipient gone",
            updated_at=now,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return True


def _health(row: HostHealth | None) -> breaker.Health:
    if row is None:
        return breaker.Health()
    return breaker.Health(
        row.consecutive_failures, row.open_until, row.last_failure_at, row.last_success_at
    )


async def _record_hosts(
    session: AsyncSession, results: list[Result], policy: breaker.BreakerPolicy
) -> None:
    verdicts = [r for r in results if r.verdict is not breaker.Verdict.NEUTRAL]
    hosts = sorted({r.job.host for r in verdicts})
    if not hosts:
        return
    query = select(HostHealth).where(col(HostHealth.host).in_(hosts)).order_by(HostHealth.host)
    query = locked(session, query)  # read-modify-write among workers
    stored = {row.host: row for row in (await session.exec(query)).all()}
    before = {host: _health(stored.get(host)) for host in hosts}
    after = dict(before)
    for r in verdicts:
        host = r.job.host
        after[host] = breaker.apply(after[host], r.verdict, r.at, policy, probe=r.job.probe)
    rows = []
    for host in hosts:
        new, old = after[host], before[host]
        if host not in stored and new.failures == 0 and new.open_until is None:
            continue  # no row means healthy: a fan-out to 1,000 good hosts writes nothing
        if host in stored and new == old:
            continue
        rows.append(
            {
                "host": host,
                "consecutive_failures": new.failures,
                "open_until": new.open_until,
                "last_failure_at": new.last_failure_at,
                "last_success_at": new.last_success_at,
            }
        )
    if not rows:
        return
    insert = session_insert(session)
    stmt = insert(HostHealth)
    stmt = stmt.on_conflict_do_update(
        index_elements=["host"],
        set_={
            name: stmt.excluded[name]
            for name in ("consecutive_failures", "open_until", "last_failure_at", "last_success_at")
        },
    )
    await session.exec(stmt, params=rows)


async def record(
    session: AsyncSession,
    results: list[Result],
    *,
    retry: RetryPolicy,
    breaker_policy: breaker.BreakerPolicy,
    rng: random.Random,
) -> None:
    """Write a batch of outcomes: rows, gone actors, host health (the caller commits)."""
    await _record_rows(session, results, retry, rng)
    for result in results:
        if result.outcome is Outcome.GONE:
            await mark_gone(session, result.job.inbox_url)
    await _record_hosts(session, results, breaker_policy)
