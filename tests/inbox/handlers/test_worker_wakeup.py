"""The inbox worker, idle, handles a newly stored activity at once, not at its next poll."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import col, select

from actors.context import NodeContext
from inbox import worker
from storage.models import InboxItem
from storage.wakeups import INBOX, queue_beacon

AMY = "https://remote.example/users/amy"


async def stored(node: NodeContext, n: int) -> None:
    actor = AMY
    await node.inbox_writer.store(
        {
            "activity_id": f"{actor}/arrivals/{n}",
            "activity_type": "Arrive",  # unknown to us: accepted and ignored
            "actor_ap_id": actor,
            "key_id": f"{actor}#main-key",
            "body": {"id": f"{actor}/arrivals/{n}", "type": "Arrive", "actor": actor},
        }
    )


async def handled(node: NodeContext, n: int, within: float) -> float:
    """Seconds until the n-th activity left the ``received`` state."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        async with node.sessions() as session:
            activity_id = col(InboxItem.activity_id)
            query = select(InboxItem.state).where(activity_id == f"{AMY}/arrivals/{n}")
            state = (await session.exec(query)).first()
        if state is not None and state != "received":
            return time.monotonic() - started
        await asyncio.sleep(0.01)
    raise AssertionError(f"activity {n} not handled within {within}s")


async def test_an_idle_worker_wakes_when_a_batch_is_stored(
    node: NodeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    beacon = queue_beacon(node.sessions, INBOX)
    assert beacon is not None
    before = beacon.last()
    monkeypatch.setattr(worker, "IDLE_POLL_SECONDS", 60.0)  # only the beacon can wake it in time
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(node, stop))
    try:
        await stored(node, 1)
        assert beacon.last() > before  # the writer stamps once the batch is stored
        await handled(node, 1, within=5.0)
        await stored(node, 2)  # the worker is idle by now
        assert await handled(node, 2, within=5.0) < 5.0
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
