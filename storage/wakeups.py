"""Waking this machine's queue workers as soon as work for them is committed.

Delivery workers poll their queue (every 0.2 s when idle). Without a
nudge, a post's deliveries would wait for the next poll, and a large
fan-out would reach a node's second worker process a poll late, with the
first already halfway through the rows. So a session that queues
deliveries is marked (:func:`mark`), and when it commits, the ``outbox``
beacon (:mod:`storage.beacons`) is stamped; idle workers look at it every
few milliseconds. The stamp comes after the commit, so a worker that wakes
up finds the rows; a rolled-back session stamps nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.beacons import Beacon, beacon
from storage.engine import SessionMaker
from storage.stream_capture import StreamCaptureSession

OUTBOX = "outbox"
_MARKS = "staffroom.wake"


def mark(session: AsyncSession, queue: str) -> None:
    """Wake ``queue``'s workers when this session commits.

    Call it inside the transaction that queued the rows.
    """
    session.info.setdefault(_MARKS, set()).add(queue)


def queue_beacon(sessions: SessionMaker, queue: str) -> Beacon | None:
    """The beacon a worker of ``queue`` watches, for the database ``sessions`` use."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        return None
    return beacon(bind.url, queue)


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
