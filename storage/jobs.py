"""Lease-based claiming of queue rows, the same on SQLite and PostgreSQL.

A worker claims rows by stamping ``locked_until``; nothing is held in memory,
so a worker that dies simply lets its lease run out and the rows come back.
On PostgreSQL concurrent workers skip each other's rows (``SKIP LOCKED``);
SQLite has one writer at a time, so the UPDATE itself is the lock. A claim
first reads whether anything is ready: an idle worker's poll then takes no
write lock, which on SQLite would make a busy writer elsewhere in the node
(a fan-out's bookkeeping) wait in the busy handler's sleeps of up to 100 ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import or_, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import locked
from storage.types import utcnow

Row = TypeVar("Row", bound=SQLModel)


async def claim(
    session: AsyncSession,
    model: type[Row],
    *,
    ready_state: str,
    limit: int,
    lease: timedelta,
    extra: Any = None,
) -> list[Row]:
    """Lease up to ``limit`` rows in ``ready_state`` whose time has come."""
    if not await _any_ready(session, model, ready_state, extra):
        return []
    stmt = _lease(session, model, ready_state, limit, lease, extra).returning(model)
    result: Any = await session.exec(select(model).from_statement(stmt))  # type: ignore[call-overload]
    return [row[0] for row in result]


async def claim_columns(
    session: AsyncSession,
    model: type[SQLModel],
    columns: Sequence[Any],
    *,
    ready_state: str,
    limit: int,
    lease: timedelta,
    extra: Any = None,
) -> list[tuple[Any, ...]]:
    """:func:`claim`, returning only ``columns`` of each row, as tuples.

    A hot queue (a fan-out's deliveries) need not build an ORM object per
    row it only reads a few values of. No read first: its caller has chosen
    the rows (``extra``) from a read of its own.
    """
    stmt = _lease(session, model, ready_state, limit, lease, extra).returning(*columns)
    result: Any = await session.exec(stmt)
    return [tuple(row) for row in result]


def _ready(model: type[SQLModel], ready_state: str, extra: Any, now: datetime) -> Any:
    table: Any = model
    ready = select(table.id).where(
        table.state == ready_state,
        table.next_attempt_at <= now,
        or_(col(table.locked_until).is_(None), table.locked_until < now),
    )
    return ready if extra is None else ready.where(extra)


async def _any_ready(
    session: AsyncSession, model: type[SQLModel], ready_state: str, extra: Any
) -> bool:
    """A read (no write lock): is any row ready now?"""
    found = await session.exec(_ready(model, ready_state, extra, utcnow()).limit(1))
    return found.first() is not None


def _lease(
    session: AsyncSession,
    model: type[SQLModel],
    ready_state: str,
    limit: int,
    lease: timedelta,
    extra: Any,
) -> Any:
    now = utcnow()
    table: Any = model
    ready = (
        _ready(model, ready_state, extra, now)
        .order_by(table.next_attempt_at, table.id)
        .limit(limit)
    )
    ready = locked(session, ready, skip_locked=True)
    return (
        update(table)
        .where(col(table.id).in_(ready.scalar_subquery()))
        .values(locked_until=now + lease)
        .execution_options(synchronize_session=False)
    )
