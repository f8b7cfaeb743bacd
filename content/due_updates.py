"""The loop every debounced ``Update`` shares: read what is due, send each alone.

A rating, a participant count and a poll's totals each owe their origin's
followers an ``Update`` some seconds after the last change. Each domain marks
the row with a due time; this module is the part that does not vary: one
read of the due rows (:func:`due_rows`), then one send per row in its own
transaction, claimed first by a conditional UPDATE (:func:`claim`, so two
workers never both send), a failing row logged and left for the next pass
without stopping the others.

A change that recounts a figure and keeps a due time must first take the row
the claim clears (:func:`hold`). On PostgreSQL, a claim could otherwise slip
between the change's reading of the due time (set: nothing to do) and its
commit: the claim counts without the change and clears the due time, and the
last figures are never told. SQLite's single writer already puts the two in
a line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from storage.dialects import locked

log = logging.getLogger(__name__)

SendOne = Callable[[NodeContext, int, datetime], Awaitable[bool]]


async def send_due(node: NodeContext, due_rows: Any, send_one: SendOne, what: str) -> int:
    """Run ``due_rows`` (a select of (id, due time)), then ``send_one`` for each;
    returns how many were sent."""
    async with node.sessions() as session:
        rows = await session.exec(due_rows)
        due = [(row_id, at) for row_id, at in rows.all() if at is not None]
    sent = 0
    for row_id, at in due:
        try:
            sent += await send_one(node, row_id, at)
        except Exception:
            log.exception("%s of %s failed", what, row_id)
    return sent


def due_rows(key: Any, due: Any, now: datetime, *where: Any, limit: int) -> Any:
    """A select of (``key``, ``due``) of the rows whose time has come, oldest first
    (``key`` and ``due`` are a model's attributes, e.g. ``Material.object_id``)."""
    return select(key, due).where(col(due) <= now, *where).order_by(col(due)).limit(limit)


async def claim(session: AsyncSession, key: Any, due: Any, row_id: int, seen: datetime) -> bool:
    """Take row ``row_id``'s owed ``Update`` for this worker: clear its due time if it
    is still the one read (``seen``). False when another worker took it first, or
    a newer change moved it; the caller then sends nothing."""
    claimed = await session.exec(
        update(key.class_)
        .where(col(key) == row_id, col(due) == seen)
        .values({due: None})
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)


async def hold(session: AsyncSession, key: Any, row_id: int) -> Any | None:
    """Row ``row_id`` of ``key``'s model read fresh and, on PostgreSQL, locked until
    the transaction ends, so a :func:`claim` waits for the change to commit and
    then counts it (or the change sees the claim's cleared due time)."""
    query = select(key.class_).where(col(key) == row_id).execution_options(populate_existing=True)
    return (await session.exec(locked(session, query))).first()
