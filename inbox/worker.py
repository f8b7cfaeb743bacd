"""Processes stored activities: claim a leased batch, run each handler, record the outcome.

Each item is handled in its own transaction, so one bad activity never holds
back the rest; a crash mid-batch leaves leased rows that come back when the
lease runs out.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from inbox.dispatch import Refused, dispatch
from storage.jobs import claim
from storage.models import InboxItem, InboxState
from storage.models.inbox import LEASE_SECONDS, MAX_ATTEMPTS
from storage.types import utcnow
from storage.wakeups import INBOX, idle_until, queue_beacon

log = logging.getLogger(__name__)

BATCH = 50
IDLE_POLL_SECONDS = 0.5
#: A claimed row whose lease has at least this long to run is still ours.
LEASE_MARGIN = timedelta(seconds=5)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 2 s, 4 s, 8 s ... capped at an hour."""
    base = min(3600.0, 2.0**attempts)
    return timedelta(seconds=base * random.uniform(0.75, 1.25))


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


async def process_item(node: NodeContext, item: InboxItem) -> None:
    async with node.sessions() as session:
        row = await _take(session, item)
        if row is None:
            return
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
            row.attempts += 1
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            row.locked_until = None
            if row.attempts >= MAX_ATTEMPTS:
                row.state = InboxState.FAILED
            else:
                row.next_attempt_at = utcnow() + retry_delay(row.attempts)
            log.warning("inbox item %s failed: %s", item.activity_id, row.error)
        else:
            row.state = InboxState.PROCESSED
            row.locked_until = None
            row.error = None
        await session.commit()


async def run_once(node: NodeContext) -> int:
    """Claim and process one batch; returns how many items were claimed."""
    async with node.sessions() as session:
        items = await claim(
            session,
            InboxItem,
            ready_state=InboxState.RECEIVED,
            limit=BATCH,
            lease=timedelta(seconds=LEASE_SECONDS),
        )
        await session.commit()
    for item in items:
        await node.inbox_writer.quiet()
        await process_item(node, item)
    return len(items)


async def run_forever(node: NodeContext, stop: asyncio.Event) -> None:
    """Handle stored activities until ``stop``; when idle, wake as soon as a batch is stored."""
    stored = queue_beacon(node.sessions, INBOX)
    seen = stored.last() if stored is not None else 0.0
    while not stop.is_set():
        try:
            claimed = await run_once(node)
        except Exception:
            log.exception("inbox worker iteration failed")
            claimed = 0
        if claimed == 0:
            seen = await idle_until(stored, seen, stop, IDLE_POLL_SECONDS)
