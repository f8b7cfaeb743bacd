"""The inbox worker's lanes: two batches at once on PostgreSQL, one on SQLite,
and every stored activity handled exactly once either way."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlmodel import col, func, select

from actors.context import NodeContext
from inbox import worker
from inbox.batch import Settled
from storage.models import InboxItem

AMY = "https://remote.example/users/amy"
COUNT = 120


def test_lanes_for_each_database() -> None:
    assert worker.lanes_for("postgresql") == worker.POSTGRES_LANES == 2
    assert worker.lanes_for("sqlite") == 1


def _arrival(n: int) -> dict[str, Any]:
    activity_id = f"{AMY}/arrivals/{n}"
    return {
        "activity_id": activity_id,
        "activity_type": "Arrive",  # unknown to us: accepted and ignored
        "actor_ap_id": AMY,
        "key_id": f"{AMY}#main-key",
        "body": {"id": activity_id, "type": "Arrive", "actor": AMY},
    }


async def _left(node: NodeContext) -> int:
    async with node.sessions() as session:
        waiting = select(func.count()).where(col(InboxItem.state) == "received")
        return int((await session.exec(waiting)).one())


async def _drained(node: NodeContext, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not await _left(node):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{await _left(node)} items still waiting after {within}s")


async def test_run_forever_handles_batches_side_by_side_only_on_postgres(
    node: NodeContext, db_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = worker.handle_batch
    running = peak = batches = 0

    async def watched(*args: Any, **kwargs: Any) -> Settled:
        nonlocal running, peak, batches
        running += 1
        batches += 1
        peak = max(peak, running)
        try:
            await asyncio.sleep(0.02)  # long enough for another lane to start its own
            return await real(*args, **kwargs)
        finally:
            running -= 1

    monkeypatch.setattr(worker, "handle_batch", watched)
    monkeypatch.setattr(worker, "BATCH", 10)  # the work spread over a dozen batches
    await asyncio.gather(*(node.inbox_writer.store(_arrival(n)) for n in range(COUNT)))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(node, stop))
    try:
        await _drained(node, within=20)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    async with node.sessions() as session:
        states = (await session.exec(select(InboxItem.state, InboxItem.attempts))).all()
    assert len(states) == COUNT
    assert {(state, attempts) for state, attempts in states} == {("processed", 0)}
    assert batches > 2
    assert peak == (2 if db_kind == "postgres" else 1)
