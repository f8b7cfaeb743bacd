"""Rate-limit buckets every process of a node sees: a small table in a file they all map.

``serve --processes N`` runs N web processes behind one port; with buckets in
each process's memory a client got N times every limit (log-in attempts,
app registrations, API calls), which is no limit at all against someone
guessing passwords. The buckets live here instead: a fixed table of slots in
``DATA_DIR/rate-limits``, mapped into memory by every process of the node,
changed under an exclusive ``flock`` (two system calls per request, held
for microseconds; the kernel drops it if a process dies holding it).

A slot is ``(key hash, tokens, updated)``. A key is looked for in a short
run of slots from its hash; a new key takes a free slot there, else the one
touched longest ago: a bucket untouched for a whole period is full again,
so forgetting it changes nothing, and with thousands of slots only a flood
of fresh addresses can push out a busy one. Like the beacons
(:mod:`storage.beacons`), this covers the processes of one machine; nodes
spread over several hosts would need the database or a shared cache.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
from pathlib import Path

_SLOT = struct.Struct("<Qdd")  # key hash (0: empty), tokens, updated (Unix seconds)
SLOTS = 16_384
PROBES = 8


def _hash(key: str) -> int:
    value = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
    return value or 1


class SharedBuckets:
    """Token levels shared through a mapped file; :meth:`take` is the only operation."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        size = SLOTS * _SLOT.size
        if os.fstat(self._fd).st_size < size:
            os.ftruncate(self._fd, size)
        self._map = mmap.mmap(self._fd, size)

    def take(self, key: str, capacity: float, per_second: float, now: float) -> tuple[bool, float]:
        """Spend one token of ``key``'s bucket if it has one; (allowed, tokens left)."""
        wanted = _hash(key)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            index, tokens, updated = self._find(wanted, capacity, now)
            level = min(capacity, tokens + max(0.0, now - updated) * per_second)
            allowed = level >= 1.0
            if allowed:
                level -= 1.0
            _SLOT.pack_into(self._map, index * _SLOT.size, wanted, level, now)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        return allowed, level

    def _find(self, wanted: int, capacity: float, now: float) -> tuple[int, float, float]:
        """The slot of ``wanted`` with its state, or the slot it may take (a fresh bucket)."""
        oldest: tuple[float, int] | None = None
        for probe in range(PROBES):
            index = (wanted + probe) % SLOTS
            found, tokens, updated = _SLOT.unpack_from(self._map, index * _SLOT.size)
            if found == wanted:
                return index, tokens, updated
            if found == 0:
                return index, capacity, now
            if oldest is None or updated < oldest[0]:
                oldest = (updated, index)
        assert oldest is not None
        return oldest[1], capacity, now

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)


_OPEN: dict[Path, SharedBuckets] = {}


def shared_buckets(data_dir: Path) -> SharedBuckets:
    """This process's mapping of the node's bucket table (opened on first use)."""
    path = (data_dir / "rate-limits").resolve()
    found = _OPEN.get(path)
    if found is None:
        found = _OPEN[path] = SharedBuckets(path)
    return found
