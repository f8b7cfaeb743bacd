"""No network inside an inbox batch: :func:`offline` and :class:`NetworkDeferred`.

The guarded transport (:mod:`federation.guarded_transport`) refuses every
request while :func:`offline` holds; the inbox worker uses it around a batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class NetworkDeferred(BaseException):
    """Raised instead of a request while :func:`offline` holds.

    The inbox worker handles a batch inside one transaction; on SQLite that
    transaction holds the one write lock, and a fetch (seconds, at worst)
    would hold every 202 behind it. So the batch runs offline, and an
    activity that turns out to need the network (an unknown sender, a
    reply's missing parent) is undone and handled alone afterwards. A
    ``BaseException``, so that no ``except Exception`` on the way (a fetch
    that falls back to "unknown") mistakes it for a failed request.
    """


_OFFLINE: ContextVar[bool] = ContextVar("federation_offline", default=False)


@contextmanager
def offline() -> Iterator[None]:
    """No request leaves in this block (this task, tasks it starts): :class:`NetworkDeferred`."""
    token = _OFFLINE.set(True)
    try:
        yield
    finally:
        _OFFLINE.reset(token)


def is_offline() -> bool:
    """Whether this task runs inside :func:`offline` (an inbox batch's transaction)."""
    return _OFFLINE.get()
