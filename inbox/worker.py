"""The inbox worker: handle stored activities in batches, ingress first.

Each turn waits until the inbox is not storing a burst (or a tenth of a
second has passed: a steady stream must not starve handling), then handles
one batch in one transaction (:mod:`inbox.batch`): a savepoint per item, so
one bad activity fails alone and retries with backoff. Items that need the
network come back from the batch and are handled alone, each in its own
transaction, as is every item of a batch whose transaction failed as a
whole (the rows are free again: the claim was part of it).

The batch is sized to its time budget, from what recent items cost: small
while ingress is busy (on SQLite the batch holds the one write lock, and
202s wait behind it), large when the inbox is quiet. On PostgreSQL a
process runs two such loops (:func:`lanes_for`): one batch's CPU fills the
other's waits for the server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from inbox.batch import failure, handle_batch
from inbox.batch import retry_delay as retry_delay
from inbox.dispatch import Refused, dispatch
from inbox.ordering import AFTER, Holds, keys_of
from storage.jobs import claim
from storage.models import InboxItem, InboxState
from storage.models.inbox import LEASE_SECONDS
from storage.types import utcnow
from storage.wakeups import INBOX, idle_until, queue_beacon

log = logging.getLogger(__name__)

BATCH = 500
#: Seconds a batch may take (on SQLite: hold the write lock) while ingress is busy, and not.
BUSY_BUDGET = 0.015
QUIET_BUDGET = 0.25
IDLE_POLL_SECONDS = 0.5
#: A claimed row whose lease has at least this long to run is still ours.
LEASE_MARGIN = timedelta(seconds=5)
#: Fewer items than this are not worth a batch's fixed cost.
_MIN_BATCH = 8
#: Batches one worker process handles at once on PostgreSQL (see :func:`lanes_for`).
POSTGRES_LANES = 2


async def _take(session: AsyncSession, item: InboxItem) -> InboxItem | None:
    """``item`` in ``session``, if it still waits to be handled.

    A row we leased moments ago is ours until the lease ends: no other worker
    can have touched it, so it is taken as claimed, without a second read.
    Later in a slow batch the lease may have lapsed and another worker may
    have handled the row meanwhile: then it is read again.
    """
    lease = item.locked_until
    if lease is not None and lease - utcnow() > LEASE_MARGIN:
        return await session.merge(item, load=False)
    row = await session.get(InboxItem, item.id)
    return row if row is not None and row.state == InboxState.RECEIVED else None


async def process_item(node: NodeContext, item: InboxItem) -> datetime | None:
    """Handle one leased item alone, in its own transaction (the network allowed).

    Returns when it is due again if it failed and will retry, else None.
    """
    async with node.sessions() as session:
        row = await _take(session, item)
        if row is None:
            return None
        retry_at = None
        try:
            await dispatch(session, node, row)
        except Refused as refused:
            # Authentic but not allowed: keep nothing it did, never retry it.
            await session.rollback()
            row = await session.get(InboxItem, item.id)
            assert row is not None
            row.state = InboxState.REJECTED
            row.error = refused.reason[:2000]
            row.locked_until = None
            log.info("inbox item %s refused: %s", item.activity_id, refused.reason)
        except Exception as exc:
            await session.rollback()
            row = await session.get(InboxItem, item.id)
            assert row is not None
            row.state, row.attempts, row.next_attempt_at, row.error = failure(row, exc)
            row.locked_until = None
            if row.state == InboxState.RECEIVED:
                retry_at = row.next_attempt_at
            log.warning("inbox item %s failed: %s", item.activity_id, row.error)
        else:
            row.state = InboxState.PROCESSED
            row.locked_until = None
            row.error = None
        await session.commit()
        return retry_at


async def _defer(node: NodeContext, item: InboxItem, until: datetime) -> None:
    async with node.sessions() as session:
        await session.exec(
            update(InboxItem)
            .where(col(InboxItem.id) == item.id, col(InboxItem.state) == InboxState.RECEIVED)
            .values(next_attempt_at=until, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def handle_alone(node: NodeContext, items: list[InboxItem]) -> None:
    """Handle leased items one by one, in order; one that fails holds back those behind it."""
    holds = Holds()
    for item in items:
        keys = keys_of(item)
        if (until := holds.wait_until(keys)) is not None:
            until += AFTER
            holds.hold(keys, until)
            await _defer(node, item, until)
            continue
        await node.inbox_writer.quiet()
        if (retry_at := await process_item(node, item)) is not None:
            holds.hold(keys, retry_at)


async def _claim_alone(node: NodeContext, limit: int) -> list[InboxItem]:
    async with node.sessions() as session:
        items = await claim(
            session,
            InboxItem,
            ready_state=InboxState.RECEIVED,
            limit=limit,
            lease=timedelta(seconds=LEASE_SECONDS),
        )
        await session.commit()
    return sorted(items, key=lambda i: (i.next_attempt_at, i.id or 0))


class Pace:
    """What an item has cost lately, to size a batch to its time budget."""

    def __init__(self) -> None:
        self.per_item = 0.002

    def limit(self, budget: float) -> int:
        return max(_MIN_BATCH, min(BATCH, int(budget / self.per_item)))

    def observe(self, items: int, seconds: float) -> None:
        if items >= _MIN_BATCH:
            self.per_item = 0.7 * self.per_item + 0.3 * (seconds / items)


_PACE = Pace()


async def run_once(node: NodeContext, *, pace: Pace = _PACE, budget: float | None = None) -> int:
    """Handle one batch; returns how many items were handled (0: nothing was due).

    ``budget`` (seconds) overrides the one chosen from ingress.
    """
    waited = time.monotonic()
    await node.inbox_writer.quiet()
    busy = time.monotonic() - waited >= 0.05  # quiet() waited: a burst is being stored
    if budget is None:
        budget = BUSY_BUDGET if busy else QUIET_BUDGET
    started = time.monotonic()
    try:
        settled = await handle_batch(node, limit=pace.limit(budget), budget=budget)
    except Exception:
        log.exception("an inbox batch failed as a whole; handling its items one by one")
        items = await _claim_alone(node, pace.limit(budget))
        await handle_alone(node, items)
        return len(items)
    pace.observe(settled.handled, time.monotonic() - started)
    await handle_alone(node, settled.alone)
    return settled.handled + len(settled.alone)


def lanes_for(dialect: str) -> int:
    """How many batches one process handles at once.

    On PostgreSQL a batch spends much of its time waiting for the server's
    answers, and another batch can use that time: claims skip each other's
    rows (``SKIP LOCKED``) and :mod:`inbox.ordering` keeps follow-ups behind
    items another batch holds, as it does for several worker processes. On
    SQLite the batches would only take turns at the one write lock, and keep
    it from ingress for longer.
    """
    return POSTGRES_LANES if dialect == "postgresql" else 1


async def run_forever(node: NodeContext, stop: asyncio.Event) -> None:
    """Handle stored activities until ``stop`` (in :func:`lanes_for` concurrent lanes)."""
    bind = node.sessions.kw.get("bind")
    lanes = lanes_for(bind.dialect.name) if bind is not None else 1
    await asyncio.gather(*(_lane(node, stop) for _ in range(lanes)))


async def _lane(node: NodeContext, stop: asyncio.Event) -> None:
    """Handle batch after batch; when idle, wake as soon as a batch is stored."""
    stored = queue_beacon(node.sessions, INBOX)
    seen = stored.last() if stored is not None else 0.0
    pace = Pace()
    while not stop.is_set():
        try:
            claimed = await run_once(node, pace=pace)
        except Exception:
            log.exception("inbox worker iteration failed")
            claimed = 0
        if claimed == 0:
            seen = await idle_until(stored, seen, stop, IDLE_POLL_SECONDS)
