"""Beacons: when something last happened, visible to every process of a node on this machine.

Four are used:

* ``ingress``: the web processes' inbox writers stamp it while they store a
  batch (renewed while it waits for the lock, and once more when it is
  done); a worker reads it before each batch and waits while ingress is busy
  (:meth:`storage.inbox_writer.InboxWriter.quiet`). On SQLite a worker in
  another process that starts a transaction during a burst would make every
  waiting 202 wait behind its one write lock; on PostgreSQL its queries
  would take the database server's CPU from the burst.
* ``outbox``: stamped after a commit that queued deliveries
  (:mod:`storage.wakeups`); delivery workers look at it every few
  milliseconds and claim at once instead of at their next poll.
* ``inbox``: stamped by the inbox writers once a batch is stored; it wakes
  idle inbox workers the same way. (``ingress`` cannot serve: it is stamped
  before the batch is written, so a worker woken by it would find nothing.)
* ``rules``: stamped after a commit that changed the federation policy (a
  domain block, the allowlist); every process's federation gate reloads
  the rules before its next decision (:mod:`actors.federation_gate`).

A beacon is eight bytes in a file, mapped into memory: a stamp is a store,
a read is a load, no system call. The clock is CLOCK_MONOTONIC, one clock
for every process on the machine. An SQLite database keeps its beacons
beside its file (like SQLite's own ``-shm``); a server database keeps them
in the temporary directory under a name made from its URL, so that all the
processes of one node find the same ones. Processes on other machines
(several hosts on one PostgreSQL) do not see them and rely on polling.
"""

from __future__ import annotations

import asyncio
import hashlib
import mmap
import os
import struct
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import URL

_STAMP = struct.Struct("<q")


def resolve(waiter: asyncio.Future[None]) -> None:
    """Wake whoever awaits ``waiter`` (once; a timer and a stamp may both try)."""
    if not waiter.done():
        waiter.set_result(None)


class Beacon:
    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _STAMP.size:
                os.ftruncate(fd, _STAMP.size)
            self._map = mmap.mmap(fd, _STAMP.size)
        finally:
            os.close(fd)
        self._listeners: set[asyncio.Future[None]] = set()

    def stamp(self) -> None:
        """Record that it happened just now, and wake this process's listeners at once."""
        _STAMP.pack_into(self._map, 0, time.monotonic_ns())
        listeners, self._listeners = self._listeners, set()
        for waiter in listeners:
            # A commit's hook may run off the loop's thread: hand the wake-up over.
            waiter.get_loop().call_soon_threadsafe(resolve, waiter)

    def wake_on_stamp(self, waiter: asyncio.Future[None]) -> None:
        """Resolve ``waiter`` at the next stamp made in this process.

        Other processes' stamps are only seen by looking (:meth:`last`); a
        worker in the process that committed (``staffroom serve`` with its
        workers in-process) is woken without waiting for its next look.
        Resolving a waiter that is already done is harmless.
        """
        self._listeners.add(waiter)
        waiter.add_done_callback(self._listeners.discard)

    def last(self) -> float:
        """When it last happened, in any process, in ``time.monotonic()`` seconds (0: never)."""
        return float(_STAMP.unpack_from(self._map, 0)[0]) / 1e9

    def close(self) -> None:
        self._map.close()


def beacon_path(url: URL, name: str) -> Path | None:
    """Where ``name``'s beacon of this database lives (``None`` for in-memory SQLite)."""
    if url.get_backend_name() == "sqlite":
        database = url.database
        if not database or database == ":memory:":
            return None
        return Path(f"{database}-{name}")
    # The database, not the driver: a tool on psycopg and a node on asyncpg
    # must find the same beacon.
    identity = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"staffroom-{digest}-{name}"


_OPEN: dict[Path, Beacon] = {}


def beacon(url: URL, name: str) -> Beacon | None:
    """This process's mapping of ``name``'s beacon for the database at ``url``."""
    path = beacon_path(url, name)
    if path is None:
        return None
    found = _OPEN.get(path)
    if found is None:
        found = _OPEN[path] = Beacon(path)
    return found
