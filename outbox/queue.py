"""The delivery queue's SQL for taking work: claim due rows, arm breaker probes, leases.

The worker (:mod:`outbox.delivery`) keeps no queue of its own that matters:
everything it holds is a lease on rows here, so a crash at any point loses
nothing (the lease runs out and the rows come back) and, because each row is
recorded sent only after its POST (:mod:`outbox.record`), doubles nothing but
the rows in flight.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from outbox import breaker
from storage.dialects import locked
from storage.jobs import claim_columns
from storage.models import Activity, Actor, Delivery, DeliveryState, HostHealth
from storage.types import utcnow


@dataclass(frozen=True)
class Job:
    """A leased delivery row, as much of it as sending needs."""

    id: int
    activity_id: int
    inbox_url: str
    host: str
    attempts: int
    #: The one row a half-open host is tried with (see :mod:`outbox.breaker`).
    probe: bool = False


@dataclass(frozen=True)
class Payload:
    """What every delivery of one activity shares: the body serialized once, the signer."""

    body: bytes
    key_id: str | None
    private_key_pem: str | None


#: What a :class:`Job` is made of, in its field order.
_JOB_COLUMNS = (
    col(Delivery.id),
    col(Delivery.activity_id),
    col(Delivery.inbox_url),
    col(Delivery.host),
    col(Delivery.attempts),
)


async def _lease_jobs(
    session: AsyncSession, *, limit: int, lease: timedelta, extra: Any, probe: bool = False
) -> list[Job]:
    rows = await claim_columns(
        session,
        Delivery,
        _JOB_COLUMNS,
        ready_state=DeliveryState.PENDING,
        limit=limit,
        lease=lease,
        extra=extra,
    )
    return [
        Job(row_id, activity_id, inbox_url, host, attempts, probe)
        for row_id, activity_id, inbox_url, host, attempts in rows
    ]


def _not_parked() -> Any:
    """Rows of hosts that are open or half-open are left alone (their probe aside)."""
    parked = select(HostHealth.host).where(col(HostHealth.open_until).is_not(None))
    return col(Delivery.host).not_in(parked)


def _due(now: datetime) -> Any:
    return and_(
        col(Delivery.state) == DeliveryState.PENDING,
        col(Delivery.next_attempt_at) <= now,
        or_(col(Delivery.locked_until).is_(None), col(Delivery.locked_until) < now),
    )


async def claim_jobs(
    session: AsyncSession,
    *,
    limit: int,
    lease: timedelta,
    room: Mapping[str, int],
    per_host: int,
    scan: int | None = None,
    rounds: int = 3,
) -> list[Job]:
    """Lease up to ``limit`` due rows, at most ``room[host]`` (else ``per_host``) per host.

    Two steps: read candidate (id, host) pairs without locking, choose them
    fairly across hosts, then lease the chosen ids (:func:`storage.jobs.claim_columns`,
    which re-checks that each is still free and, on PostgreSQL, skips rows
    another worker is claiming). Hosts with no room and parked hosts are
    filtered out in SQL, so one host's backlog can fill one scan at most: its
    rows are taken up to its room, and the next claim passes over it. The scan
    reads ``scan`` rows (by default four for each row wanted).

    Workers that read candidates at the same moment choose the same rows, and
    all but one lease none of them. A worker that lost rows that way chooses
    again at once, around them, up to ``rounds`` times: otherwise it would
    idle a whole poll while the queue is full, and the others would do its share.
    """
    now = utcnow()
    full = [host for host, free in room.items() if free <= 0]
    taken: dict[str, int] = {}
    lost: set[int] = set()
    jobs: list[Job] = []
    for _ in range(rounds):
        candidates = (
            select(Delivery.id, Delivery.host)
            .where(_due(now), _not_parked())
            .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
            .limit(max(scan or 4 * limit, limit))
        )
        if full:
            candidates = candidates.where(col(Delivery.host).not_in(full))
        if lost:
            candidates = candidates.where(col(Delivery.id).not_in(lost))
        chosen: list[int] = []
        picked = dict(taken)
        for row_id, host in (await session.exec(candidates)).all():
            if picked.get(host, 0) >= room.get(host, per_host):
                continue
            picked[host] = picked.get(host, 0) + 1
            assert row_id is not None
            chosen.append(row_id)
            if len(jobs) + len(chosen) >= limit:
                break
        if not chosen:
            break
        leased = await _lease_jobs(
            session, limit=len(chosen), lease=lease, extra=col(Delivery.id).in_(chosen)
        )
        for job in leased:
            taken[job.host] = taken.get(job.host, 0) + 1
        jobs += leased
        if len(leased) == len(chosen) or len(jobs) >= limit:
            break
        lost.update(set(chosen) - {job.id for job in jobs})
    return jobs


async def arm_probes(
    session: AsyncSession, policy: breaker.BreakerPolicy, *, limit: int = 20
) -> list[Job]:
    """Take the probe of up to ``limit`` half-open hosts that have a row due; lease it.

    The conditional UPDATE is :func:`outbox.breaker.arm_probe` done by the
    database, so among concurrent workers exactly one arms each host.
    """
    now = utcnow()
    due_row = exists().where(col(Delivery.host) == col(HostHealth.host), _due(now))
    ready = (
        select(HostHealth.host)
        .where(col(HostHealth.open_until) <= now, due_row)
        .order_by(col(HostHealth.open_until))
        .limit(limit)
    )
    # Read first: the idle loop should not take SQLite's write lock for nothing.
    if not (await session.exec(ready)).first():
        return []
    ready = locked(session, ready, skip_locked=True)
    stmt = (
        update(HostHealth)
        .where(col(HostHealth.host).in_(ready.scalar_subquery()), col(HostHealth.open_until) <= now)
        .values(open_until=now + policy.probe_window)
        .returning(col(HostHealth.host))
        .execution_options(synchronize_session=False)
    )
    hosts = [row[0] for row in (await session.exec(stmt)).all()]
    jobs: list[Job] = []
    for host in hosts:
        on_host = col(Delivery.host) == host
        jobs += await _lease_jobs(
            session, limit=1, lease=policy.probe_window, extra=on_host, probe=True
        )
    return jobs


def serialize(body: Mapping[str, Any]) -> bytes:
    """The bytes we POST: compact JSON, made once per activity, not per inbox."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def load_payloads(session: AsyncSession, activity_ids: Iterable[int]) -> dict[int, Payload]:
    ids = sorted(set(activity_ids))
    if not ids:
        return {}
    rows = await session.exec(
        select(Activity.id, Activity.body, Actor.public_key_id, Actor.private_key_pem)
        .join(Actor, col(Actor.id) == col(Activity.actor_id))
        .where(col(Activity.id).in_(ids))
    )
    return {
        activity_id: Payload(serialize(body), key_id, pem)
        for activity_id, body, key_id, pem in rows.all()
        if activity_id is not None
    }


async def extend_leases(session: AsyncSession, ids: Collection[int], lease: timedelta) -> None:
    """Keep our leases alive while rows wait or are in flight (only rows still ours)."""
    if not ids:
        return
    now = utcnow()
    await session.exec(
        update(Delivery)
        .where(
            col(Delivery.id).in_(list(ids)),
            col(Delivery.state) == DeliveryState.PENDING,
            col(Delivery.locked_until) > now,
        )
        .values(locked_until=now + lease)
        .execution_options(synchronize_session=False)
    )


async def release(session: AsyncSession, ids: Collection[int]) -> None:
    """Give leased rows back at once (a worker stopping with rows not yet sent)."""
    if not ids:
        return
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id).in_(list(ids)), col(Delivery.state) == DeliveryState.PENDING)
        .values(locked_until=None)
        .execution_options(synchronize_session=False)
    )


async def expire_stale(session: AsyncSession, max_age: timedelta) -> int:
    """Rows still pending after ``max_age`` (a host parked for days) end as dead."""
    now = utcnow()
    result = await session.exec(
        update(Delivery)
        .where(
            col(Delivery.state) == DeliveryState.PENDING,
            col(Delivery.created_at) < now - max_age,
            or_(col(Delivery.locked_until).is_(None), col(Delivery.locked_until) < now),
        )
        .values(
            state=DeliveryState.DEAD,
            last_error="expired while host was unreachable",
            updated_at=now,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
