"""Time-sortable 64-bit ids.

Layout (like Mastodon's snowflakes): milliseconds since the Unix epoch in the
high bits, a 16-bit sequence in the low bits. Ids sort by creation time, fit a
signed BIGINT, and are exposed as strings in JSON because JavaScript clients
cannot hold 64-bit integers exactly.
"""

from __future__ import annotations

import secrets
import threading
import time

_SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1

_lock = threading.Lock()
_last_ms = 0
_sequence = 0


def new_id(now_ms: int | None = None) -> int:
    """Return a fresh id, strictly greater than any earlier id from this process."""
    global _last_ms, _sequence
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        if ms > _last_ms:
            _last_ms = ms
            # A random start keeps ids from two processes apart within one millisecond.
            _sequence = secrets.randbits(_SEQUENCE_BITS - 2)
        else:
            _sequence += 1
            if _sequence > _SEQUENCE_MASK:
                # Sequence exhausted in this millisecond: borrow the next one.
                _last_ms += 1
                _sequence = 0
        return (_last_ms << _SEQUENCE_BITS) | _sequence


def id_timestamp_ms(value: int) -> int:
    """The creation time, in Unix milliseconds, that an id encodes."""
    return value >> _SEQUENCE_BITS


def min_id_for_ms(ms: int) -> int:
    """The smallest id that could have been made at ``ms`` (for time-range queries)."""
    return ms << _SEQUENCE_BITS
