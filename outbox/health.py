"""The federation's health for the admin's page: the delivery queue, failing hosts, and
deliveries sent and inbox items received per hour over the last day.

Read-only queries over the outbox and inbox tables. The hourly figures read
one timestamp column for the last day (bounded by :data:`MAX_ROWS`) and
bucket it here, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, DeliveryState, HostHealth, InboxItem

HOURS = 24
MAX_ROWS = 500_000


async def queue_counts(session: AsyncSession) -> dict[str, int]:
    """Deliveries by state (pending, sent, failed, dead), zero for a state with none."""
    rows = await session.exec(select(Delivery.state, func.count()).group_by(Delivery.state))
    counts = {state.value: 0 for state in DeliveryState}
    counts.update({state: int(n) for state, n in rows.all()})
    return counts


async def failing_hosts(session: AsyncSession, limit: int = 20) -> list[HostHealth]:
    rows = await session.exec(
        select(HostHealth)
        .where(col(HostHealth.consecutive_failures) > 0)
        .order_by(col(HostHealth.consecutive_failures).desc(), col(HostHealth.host))
        .limit(limit)
    )
    return list(rows.all())


def _buckets(times: list[datetime], end: datetime) -> list[int]:
    counts = [0] * HOURS
    start = end - timedelta(hours=HOURS)
    for moment in times:
        index = int((moment - start).total_seconds() // 3600)
        if 0 <= index < HOURS:
            counts[index] += 1
    return counts


async def per_hour(session: AsyncSession, now: datetime) -> tuple[list[int], list[int]]:
    """(deliveries sent, inbox items received) in each of the last 24 hours, oldest first."""
    since = now - timedelta(hours=HOURS)
    sent = await session.exec(
        select(Delivery.updated_at)
        .where(Delivery.state == DeliveryState.SENT, col(Delivery.updated_at) >= since)
        .limit(MAX_ROWS)
    )
    received = await session.exec(
        select(InboxItem.received_at).where(col(InboxItem.received_at) >= since).limit(MAX_ROWS)
    )
    return _buckets(list(sent.all()), now), _buckets(list(received.all()), now)
