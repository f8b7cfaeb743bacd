"""Beacons: a node's processes see when any of them last stored a burst or queued deliveries."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.beacons import Beacon, beacon_path
from storage.engine import create_engine
from storage.inbox_writer import InboxWriter
from tests.support.inbox_items import item_values
from tests.support.node import ROOT


def test_a_stamp_made_by_another_process_is_read_here(tmp_path: Path) -> None:
    path = tmp_path / "staffroom.db-ingress"
    beacon = Beacon(path)
    try:
        assert beacon.last() == 0.0  # never stamped
        before = time.monotonic()
        stamp = (
            "from pathlib import Path; from storage.beacons import Beacon; "
            f"Beacon(Path({str(path)!r})).stamp()"
        )
        subprocess.run([sys.executable, "-c", stamp], check=True, cwd=ROOT, timeout=30)
        assert before <= beacon.last() <= time.monotonic()  # one clock for all processes
    finally:
        beacon.close()


def test_where_beacons_live() -> None:
    sqlite_file = make_url("sqlite+aiosqlite:////srv/staffroom/staffroom.db")
    assert beacon_path(sqlite_file, "ingress") == Path("/srv/staffroom/staffroom.db-ingress")
    assert beacon_path(make_url("sqlite+aiosqlite:///:memory:"), "outbox") is None
    # A server database: one name per database (not per password), in the temp dir.
    one = beacon_path(make_url("postgresql+asyncpg://app:pw1@db.example/staffroom"), "outbox")
    same = beacon_path(make_url("postgresql+asyncpg://app:pw2@db.example/staffroom"), "outbox")
    other = beacon_path(make_url("postgresql+asyncpg://app:pw1@db.example/other"), "outbox")
    assert one is not None and one == same != other
    # ...and per database, not per driver: a tool on another driver finds the node's.
    assert beacon_path(make_url("postgresql://app:pw3@db.example/staffroom"), "outbox") == one
    assert one.parent == Path(tempfile.gettempdir()) and one.name.endswith("-outbox")


async def test_a_worker_waits_for_another_process_storing_a_burst(
    migrated_database_url: str,
) -> None:
    # Two engines stand for two processes: they share only the database and its beacons.
    url = migrated_database_url
    web_engine, worker_engine = create_engine(url), create_engine(url)
    web, worker = InboxWriter(web_engine), InboxWriter(worker_engine)

    try:
        # The beacon is stamped as a batch starts: a first write that had to
        # open its connection on a loaded machine could outlast ``idle`` alone.
        await web.store(item_values(0))
        await asyncio.sleep(1.1)
        started = time.monotonic()
        await worker.quiet(idle=1.0, max_wait=3.0)
        assert time.monotonic() - started < 0.05  # nobody ingesting: no wait
        await web.store(item_values(1))
        started = time.monotonic()
        await worker.quiet(idle=1.0, max_wait=3.0)
        waited = time.monotonic() - started
        assert 0.5 <= waited < 2.5  # waited for the other writer's burst to go idle
    finally:
        for writer in (web, worker):
            await writer.close()
        for engine in (web_engine, worker_engine):
            await engine.dispose()
