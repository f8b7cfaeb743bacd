"""Waking this machine's queue workers as soon as work for them is committed.

Queue workers poll (every 0.5 s when idle). Without a nudge, a post's
deliveries would wait for the next poll, and a large fan-out would reach a
node's second worker process a poll late, with the first already halfway
through the rows. So a session that queues deliveries is marked
(:func:`mark`), and when it commits, the ``outbox`` beacon
(:mod:`storage.beacons`) is stamped; the inbox writer stamps the ``inbox``
beacon after each stored batch. Idle workers look at theirs every 20 ms
(:func:`idle_until`), and a stamp made in their own process wakes them at
once. A stamp comes after the commit, so a worker that wakes up finds the
rows; a rolled-back session stamps nothing.

The same mark stamps the ``rules`` beacon when a session changes the
federation policy, so every process of the node reloads it before its next
decision (:mod:`actors.federation_gate`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.beacons import Beacon, beacon, resolve
from storage.engine import SessionMaker
from storage.stream_capture import StreamCaptureSession

OUTBOX = "outbox"
INBOX = "inbox"
RULES = "rules"
_MARKS = "staffroom.wake"
#: How often an idle worker looks at its beacon (a memory read).
LOOK_EVERY = 0.02


def mark(session: AsyncSession, queue: str) -> None:
    """Stamp ``queue``'s beacon (waking its workers) when this session commits.

    Call it inside the transaction that queued the rows (or changed the rules).
    """
    session.info.setdefault(_MARKS, set()).add(queue)


def queue_beacon(sessions: SessionMaker, queue: str) -> Beacon | None:
    """The beacon ``queue`` (a queue's, or ``rules``) of the database ``sessions`` use."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        return None
    return beacon(bind.url, queue)


async def idle_until(
    found: Beacon | None, seen: float, stop: asyncio.Event, within: float
) -> float:
    """Sleep until ``stop``, ``within`` seconds, or a stamp newer than ``seen``.

    Returns the newest stamp. Short sleeps between looks cost an idle node
    far less than a waiter per look.
    """
    if found is None:  # an in-memory database: only the poll
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), within)
        return seen
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not stop.is_set():
        stamp = found.last()
        left = deadline - loop.time()
        if left <= 0 or stamp > seen:
            return stamp
        waiter = loop.create_future()
        found.wake_on_stamp(waiter)  # a stamp in this process ends the wait at once
        timer = loop.call_later(min(left, LOOK_EVERY), resolve, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            if not waiter.done():
                waiter.cancel()
    return seen


@event.listens_for(StreamCaptureSession, "after_commit")
def _wake(session: Session) -> None:
    queues: set[str] | None = session.info.pop(_MARKS, None)
    if not queues:
        return
    bind = session.get_bind()
    for queue in queues:
        found = beacon(bind.engine.url, queue)
        if found is not None:
            found.stamp()


@event.listens_for(StreamCaptureSession, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    # Every rollback of the whole transaction (a savepoint's leaves the rest),
    # even one that never reached the database.
    if not previous_transaction.nested:
        session.info.pop(_MARKS, None)
