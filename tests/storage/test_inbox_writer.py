"""Group commit: every waiting request is stored by one INSERT and one commit,
redeliveries are recognised, and background writers can give way to ingress."""

from __future__ import annotations

import asyncio
import time

from sqlmodel import func, select

from storage.engine import SessionMaker
from storage.inbox_writer import InboxWriter
from storage.models import InboxItem


def values(i: int) -> dict[str, object]:
    return {
        "activity_id": f"https://remote.example/a/{i}",
        "activity_type": "Create",
        "actor_ap_id": "https://remote.example/u/x",
        "key_id": "https://remote.example/u/x#main-key",
        "body": {"id": f"https://remote.example/a/{i}", "n": i},
    }


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
