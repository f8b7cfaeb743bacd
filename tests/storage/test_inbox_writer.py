"""Group commit: every waiting request is stored by one INSERT and one commit,
redeliveries are recognised, and background writers can give way to ingress."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from storage.engine import SessionMaker
from storage.ids import new_id
from storage.inbox_writer import QUIET_IDLE, InboxWriter
from storage.models import InboxItem
from storage.types import utcnow
from tests.support.inbox_items import item_values as values


async def stored_count(sessions: SessionMaker) -> int:
    async with sessions() as session:
        return int((await session.exec(select(func.count()).select_from(InboxItem))).one())


async def test_concurrent_stores_are_all_durable_and_new(sessions: SessionMaker) -> None:
    writer = InboxWriter(sessions.kw["bind"])
    try:
        results = await asyncio.gather(*(writer.store(values(i)) for i in range(200)))
    finally:
        await writer.close()
    assert results == [True] * 200
    assert await stored_count(sessions) == 200


async def test_a_redelivery_is_stored_once_even_within_one_batch(sessions: SessionMaker) -> None:
    writer = InboxWriter(sessions.kw["bind"])
    try:
        same_batch = await asyncio.gather(*(writer.store(values(7)) for _ in range(5)))
        later = await writer.store(values(7))
    finally:
        await writer.close()
    assert sorted(same_batch) == [False, False, False, False, True]
    assert later is False
    assert await stored_count(sessions) == 1


async def test_quiet_waits_for_ingress_but_never_longer_than_asked(
    sessions: SessionMaker,
) -> None:
    writer = InboxWriter(sessions.kw["bind"])
    try:
        started = time.monotonic()
        await writer.quiet(idle=0.02, max_wait=1.0)
        assert time.monotonic() - started < 0.05  # idle writer: no wait at all
        await writer.store(values(1))
        started = time.monotonic()
        await writer.quiet(idle=0.2, max_wait=0.1)
        waited = time.monotonic() - started
        assert 0.09 <= waited < 0.5  # just stored: waits, but only up to max_wait
    finally:
        await writer.close()


async def test_a_write_waiting_for_the_lock_keeps_ingress_busy(sessions: SessionMaker) -> None:
    """A batch waiting behind another transaction's lock is still ingress: a worker
    that saw it as quiet would start a long batch and keep the lock from it."""
    engine = sessions.kw["bind"]
    writer = InboxWriter(engine)
    blocker = await engine.connect()
    try:
        await blocker.begin()
        if engine.dialect.name == "postgresql":
            await blocker.execute(text("LOCK TABLE inbox_items IN EXCLUSIVE MODE"))
        else:  # the first write takes SQLite's one write lock until the rollback
            row = values(0) | {"id": new_id(), "next_attempt_at": utcnow(), "received_at": utcnow()}
            await blocker.execute(InboxItem.__table__.insert(), [row])
        waiting = asyncio.ensure_future(writer.store(values(1)))
        await asyncio.sleep(6 * QUIET_IDLE)  # long past the stamp made when it began
        assert not waiting.done()
        started = time.monotonic()
        await writer.quiet(max_wait=0.1)
        assert time.monotonic() - started >= 0.09  # busy: a worker waits its whole max_wait
        await blocker.rollback()
        assert await asyncio.wait_for(waiting, 10) is True
    finally:
        await blocker.close()
        await writer.close()
    assert await stored_count(sessions) == 1


async def test_an_id_another_process_just_used_is_replaced_and_nothing_is_lost(
    sessions: SessionMaker,
) -> None:
    # Two web processes can mint the same row id in one millisecond (storage.ids).
    taken = new_id()
    async with sessions() as session:
        session.add(InboxItem(id=taken, **values(0)))
        await session.commit()
    minted = iter([taken, taken + 1, taken + 2])
    writer = InboxWriter(sessions.kw["bind"], ids=lambda: next(minted, None) or new_id())
    try:
        results = await asyncio.gather(writer.store(values(1)), writer.store(values(2)))
    finally:
        await writer.close()
    assert results == [True, True]
    assert await stored_count(sessions) == 3
    async with sessions() as session:
        ids = (await session.exec(select(InboxItem.id))).all()
    assert len(set(ids)) == 3


async def test_other_integrity_errors_fail_the_requests(sessions: SessionMaker) -> None:
    writer = InboxWriter(sessions.kw["bind"])
    try:
        with pytest.raises(IntegrityError):
            await writer.store({**values(1), "recipient_id": 424242})  # no such actor
        assert await writer.store(values(2)) is True  # the writer goes on
    finally:
        await writer.close()
    assert await stored_count(sessions) == 1


async def test_a_lost_connection_is_replaced_and_the_batch_stored(
    sessions: SessionMaker, db_kind: str
) -> None:
    """PostgreSQL restarts, or an admin kills the writer's backend: the next store still lands."""
    writer = InboxWriter(sessions.kw["bind"])
    try:
        assert await writer.store(values(1)) is True
        if db_kind == "postgres":
            async with sessions() as session:
                killed = await session.exec(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                assert any(row[0] for row in killed.all())
        assert await writer.store(values(2)) is True
    finally:
        await writer.close()
    assert await stored_count(sessions) == 2
