"""Flushes a caller may put off: many small inserts written by one flush.

Handlers store what they make with ``session.add`` and then flush, so that a
failure surfaces inside the handler (and its savepoint). Handling a batch of
inbox items, that is one INSERT per object, one per mailbox row, one per
stream event: each a trip through the ORM and, on SQLite, a hop to the
database thread. Inside :func:`deferred` those flushes wait, and the batch's
one flush at the end writes the rows of each table in a single executemany.

What still holds: a query flushes whatever is pending first (autoflush), so
nothing reads around a pending row; a failure now surfaces at the batch's
flush, and the caller (:mod:`inbox.batch`) then handles the group again item
by item, each with its own savepoint and its own flushes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlmodel.ext.asyncio.session import AsyncSession

_DEFERRED = "storage.flushes.deferred"


@contextlib.contextmanager
def deferred(session: AsyncSession) -> Iterator[None]:
    """Put off :func:`flush` in ``session`` while the block runs (the caller flushes after)."""
    session.info[_DEFERRED] = True
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)


def is_deferred(session: AsyncSession) -> bool:
    return bool(session.info.get(_DEFERRED))


async def flush(session: AsyncSession) -> None:
    """``session.flush()``, unless flushes are :func:`deferred`."""
    if not session.info.get(_DEFERRED):
        await session.flush()
