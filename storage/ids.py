"""Time-sortable 64-bit ids.

Layout (like Mastodon's snowflakes): milliseconds since the Unix epoch in the
high bits, 16 low bits that tell apart the ids made in one millisecond. Ids
sort by creation time, fit a signed BIGINT, and are exposed as strings in JSON
because JavaScript clients cannot hold 64-bit integers exactly.

Several processes write one database (``serve --processes N``, ``staffroom
worker``), and each makes its own ids. A serving process therefore takes a
*process tag* (:mod:`storage.id_tags`) that no other live process of the node
holds: its low bits are then ``tag (6 bits) | sequence (10 bits)``, so two
processes can never make the same id. A process without a tag (a CLI command,
a test) starts each millisecond at a random point of the 16 bits instead,
which keeps collisions with anyone unlikely but not impossible.
"""

from __future__ import annotations

import secrets
import threading
import time

_LOW_BITS = 16
_LOW_MASK = (1 << _LOW_BITS) - 1
TAG_BITS = 6
_TAGGED_SEQUENCE_BITS = _LOW_BITS - TAG_BITS
_TAGGED_SEQUENCE_MASK = (1 << _TAGGED_SEQUENCE_BITS) - 1

_lock = threading.Lock()
_last_ms = 0
_sequence = 0
_tag: int | None = None


def use_process_tag(tag: int | None) -> None:
    """Make this process's ids carry ``tag`` (``None``: no tag, random starts).

    The next id moves to a later millisecond, so ids stay strictly increasing
    across the change of layout.
    """
    global _tag, _last_ms, _sequence
    if tag is not None and not 0 <= tag < 1 << TAG_BITS:
        raise ValueError(f"an id tag has {TAG_BITS} bits, not {tag}")
    with _lock:
        _tag = tag
        _last_ms += 1
        _sequence = -1


def process_tag() -> int | None:
    return _tag


def new_id(now_ms: int | None = None) -> int:
    """Return a fresh id, strictly greater than any earlier id from this process."""
    global _last_ms, _sequence
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        limit = _LOW_MASK if _tag is None else _TAGGED_SEQUENCE_MASK
        if ms > _last_ms:
            _last_ms = ms
            # A random start keeps untagged processes apart within one
            # millisecond; it leaves three quarters of the range for a burst.
            _sequence = secrets.randbits((_LOW_BITS if _tag is None else _TAGGED_SEQUENCE_BITS) - 2)
        else:
            _sequence += 1
            if _sequence > limit:
                # Sequence exhausted in this millisecond: borrow the next one.
                _last_ms += 1
                _sequence = 0
        low = _sequence if _tag is None else (_tag << _TAGGED_SEQUENCE_BITS) | _sequence
        return (_last_ms << _LOW_BITS) | low


def id_timestamp_ms(value: int) -> int:
    """The creation time, in Unix milliseconds, that an id encodes."""
    return value >> _LOW_BITS


def min_id_for_ms(ms: int) -> int:
    """The smallest id that could have been made at ``ms`` (for time-range queries)."""
    return ms << _LOW_BITS
