"""The node's side of a fan-out bench: its followers, the post, and the rows it sent.

The bench writes followers straight into the node's database, posts through
the node's API as a teacher's app would, and reads the outcome rows back.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, make_url
from sqlmodel import col, select

from bench.followers import add_followers
from bench.machine import free_port_range, pinned
from bench.sink import SinkProcess
from storage.beacons import Beacon, beacon
from storage.models import Delivery, DeliveryState
from storage.wakeups import OUTBOX
from tests.support.node import Node, wait_until


def seed(node: Node, base: int, hosts: int, followers: int, username: str = "bencher") -> int:
    """``followers`` remote followers of a fresh local author, ``followers / hosts`` per host."""
    author = node.create_user(username)
    per_host = followers // hosts

    async def work(session: Any) -> None:
        names = [f"127.0.0.1:{base + h}" for h in range(hosts)]
        await add_followers(session, author.id, names, per_host * hosts, "http")

    node.with_session(work)
    author_id: int = author.id
    return author_id


def publish_one(node: Node, username: str) -> tuple[float, datetime, float]:
    """Post as a teacher does, through the node's API; when its commit was, on two clocks,
    and when its answer came back (``perf_counter``).

    The node's web process makes the post and its delivery rows, and a
    worker in the same process (``--worker-processes 1``) is woken by the
    commit itself. The commit's moment is read off the outbox beacon the
    commit stamped (:mod:`storage.beacons`, ``CLOCK_MONOTONIC`` like
    ``time.perf_counter`` here), not taken when the answer came back.
    """
    response = httpx.post(
        f"{node.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {node.token(username)}"},
        json={"status": "Bench: a lesson plan for everyone", "visibility": "public"},
        timeout=120,
    )
    response.raise_for_status()
    now_perf, now_wall = time.perf_counter(), datetime.now().astimezone()
    stamp = queue_beacon_of(node).last()
    return stamp, now_wall - timedelta(seconds=now_perf - stamp), now_perf


def queue_beacon_of(node: Node) -> Beacon:
    assert time.get_clock_info("perf_counter").implementation == (
        time.get_clock_info("monotonic").implementation
    ), "the beacon's clock is CLOCK_MONOTONIC; perf_counter must be the same clock"
    found = beacon(make_url(node.database_url), OUTBOX)
    assert found is not None
    return found


def warm_up(node: Node, args: argparse.Namespace, sink_core: int | None) -> None:
    """One post of another author to one follower on a sink of its own, before the clock starts.

    A running node has delivered before: its statements are compiled, its
    federation rules loaded, its client made. A node started a moment ago
    pays for all of that in its first fan-out's first request (about 25 ms
    here), which is not what the first-request figure is about.
    """
    base = free_port_range(1)
    one = argparse.Namespace(**{**vars(args), "hosts": 1})
    with pinned(sink_core):
        sink = SinkProcess(one, base, 0, 0, "warm-up")
    try:
        seed(node, base, 1, 1, username="warmer")
        publish_one(node, "warmer")
        warm = {f"127.0.0.1:{base}"}
        wait_until(lambda: progress(node, warm, warm)[0] >= 1, timeout=30)
    finally:
        sink.stop()


def queued(node: Node, ours: set[str]) -> int:
    """Delivery rows to ``ours`` (this run's hosts)."""

    async def work(session: Any) -> int:
        count = select(func.count()).where(col(Delivery.host).in_(ours))
        return int((await session.exec(count)).one())

    return node.with_session(work)


def progress(node: Node, healthy: set[str], ours: set[str]) -> tuple[int, int, list[datetime]]:
    """Rows sent to ``ours`` (this run's hosts), rows queued, and when each healthy one went."""

    async def work(session: Any) -> tuple[int, int, list[datetime]]:
        rows = (
            await session.exec(
                select(Delivery.host, Delivery.updated_at).where(
                    col(Delivery.state) == DeliveryState.SENT
                )
            )
        ).all()
        total = (await session.exec(select(func.count()).select_from(Delivery))).one()
        times = [at for host, at in rows if host in healthy]
        return sum(1 for host, _at in rows if host in ours), int(total), times

    return node.with_session(work)
