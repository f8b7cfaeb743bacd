"""When a node last stored received activities, visible to all its processes.

SQLite has one write lock for the whole file. A worker in another process
(``serve --processes N``) that starts a transaction while the web processes
are storing a burst of inbox POSTs makes every one of them wait behind it.
The web processes' inbox writers stamp this beacon after each batch; the
worker reads it before each item and waits while ingress is busy
(:meth:`storage.inbox_writer.InboxWriter.quiet`).

It is eight bytes in a file beside the database (like SQLite's own ``-shm``),
mapped into memory: a stamp is a store, a read is a load, no system call.
The clock is CLOCK_MONOTONIC, one clock for every process on the machine.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from pathlib import Path

_STAMP = struct.Struct("<q")


class IngressBeacon:
    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _STAMP.size:
                os.ftruncate(fd, _STAMP.size)
            self._map = mmap.mmap(fd, _STAMP.size)
        finally:
            os.close(fd)

    def stamp(self) -> None:
        """Record that received activities were stored just now."""
        _STAMP.pack_into(self._map, 0, time.monotonic_ns())

    def last(self) -> float:
        """When activities were last stored by any process, in ``time.monotonic()`` seconds."""
        return float(_STAMP.unpack_from(self._map, 0)[0]) / 1e9

    def close(self) -> None:
        self._map.close()


def beacon_path(database: str | None) -> Path | None:
    """The beacon for an SQLite file (``None`` for in-memory databases)."""
    if not database or database == ":memory:":
        return None
    return Path(f"{database}-ingress")
