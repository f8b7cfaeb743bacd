"""A commit that queued deliveries stamps the outbox beacon; nothing else does."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from storage.engine import SessionMaker
from storage.wakeups import OUTBOX, idle_until, mark, queue_beacon


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


async def test_a_commit_in_this_process_wakes_an_idle_worker_without_waiting_for_its_look(
    sessions: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``staffroom serve`` runs its workers beside the web process: a post's deliveries
    must not wait up to one look (20 ms) for the worker to notice them."""
    monkeypatch.setattr("storage.wakeups.LOOK_EVERY", 30.0)  # looking alone would take 30 s
    beacon = queue_beacon(sessions, OUTBOX)
    assert beacon is not None
    seen = beacon.last()
    idle = asyncio.create_task(idle_until(beacon, seen, asyncio.Event(), 60.0))
    await asyncio.sleep(0.05)
    assert not idle.done()
    started = time.monotonic()
    async with sessions() as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        mark(session, OUTBOX)
        await session.commit()
    stamp = await asyncio.wait_for(idle, 5.0)
    assert stamp > seen
    assert time.monotonic() - started < 1.0
