"""Lease-based claiming: a claimed row is invisible to others until its lease runs out."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.engine import SessionMaker
from storage.jobs import claim
from storage.models import InboxItem
from storage.repos.inbox import insert_once
from storage.types import utcnow
from tests.support.inbox_items import item_values


async def _add(sessions: SessionMaker, n: int) -> None:
    async with sessions() as session:
        for i in range(n):
            await insert_once(session, item_values(i))
        await session.commit()


async def _claim(sessions: SessionMaker, limit: int, lease: float = 60) -> list[InboxItem]:
    async with sessions() as session:
        rows = await claim(
            session, InboxItem, ready_state="received", limit=limit, lease=timedelta(seconds=lease)
        )
        await session.commit()
    return rows


async def test_claimed_rows_are_not_claimed_twice(sessions: SessionMaker) -> None:
    await _add(sessions, 5)
    first = await _claim(sessions, 3)
    second = await _claim(sessions, 10)
    assert all(isinstance(row, InboxItem) for row in first)
    assert len(first) == 3
    assert len(second) == 2
    assert not {r.id for r in first} & {r.id for r in second}
    assert await _claim(sessions, 10) == []


async def test_an_expired_lease_brings_the_row_back(sessions: SessionMaker) -> None:
    await _add(sessions, 1)
    (row,) = await _claim(sessions, 1, lease=-1)  # a worker that died at once
    assert row.locked_until is not None
    assert row.locked_until < utcnow()
    again = await _claim(sessions, 1)
    assert [r.id for r in again] == [row.id]


async def test_insert_once_is_idempotent(sessions: SessionMaker) -> None:
    await _add(sessions, 2)
    await _add(sessions, 2)
    assert len(await _claim(sessions, 10)) == 2


async def test_an_idle_claim_does_not_wait_for_another_writer(sessions: SessionMaker) -> None:
    """Nothing is ready: the claim only reads, so a write in progress elsewhere (on SQLite,
    the one write lock) does not hold it up, and it does not hold that writer up."""
    await _add(sessions, 1)
    assert len(await _claim(sessions, 1)) == 1  # the only row, leased
    async with sessions() as writer:
        await insert_once(writer, item_values(1000))
        await writer.flush()  # the writer's transaction is open (and, on SQLite, has the lock)
        assert await asyncio.wait_for(_claim(sessions, 10), timeout=2) == []
        await writer.commit()
    assert len(await _claim(sessions, 10)) == 1
