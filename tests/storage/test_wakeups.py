"""A commit that queued deliveries stamps the outbox beacon; nothing else does."""

from __future__ import annotations

from sqlalchemy import text

from storage.engine import SessionMaker
from storage.wakeups import OUTBOX, mark, queue_beacon


async def test_only_a_committed_mark_stamps_the_beacon(sessions: SessionMaker) -> None:
    beacon = queue_beacon(sessions, OUTBOX)
    assert beacon is not None
    before = beacon.last()

    async with sessions() as session:
        await session.commit()  # nothing queued
    assert beacon.last() == before

    async with sessions() as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]  # as queuing rows would
        mark(session, OUTBOX)
        await session.rollback()
        await session.commit()  # the rollback forgot the mark
    assert beacon.last() == before

    async with sessions() as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        mark(session, OUTBOX)
        assert beacon.last() == before  # not before the rows are visible
        await session.commit()
    stamped = beacon.last()
    assert stamped > before

    async with sessions() as session:
        await session.commit()  # a mark lasts one commit
    assert beacon.last() == stamped
