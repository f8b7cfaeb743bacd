"""What an inbox batch knows of the objects it names: looked up at once, then answered from memory.

The inbox worker calls :func:`remember_objects` for a whole batch (the
objects its Creates, Updates and Deletes name, and the parents of replies),
so that :func:`content.objects.object_by_ap_id` answers them without a query
each. The answers hold for this session only, and each must be the one a
query would give at that moment:

* a row found is handed out while it stays loaded and unexpired (a
  rolled-back savepoint expires it, and the next lookup asks the database);
* an object this session adds is remembered as it is added, and handed out
  while pending (an inbox batch defers its flushes, :mod:`storage.flushes`)
  or once flushed; a rolled-back savepoint expunges it, and the next lookup
  asks the database.

Objects are remembered as they are added rather than found by looking
through the session's new objects at each lookup: that look made a batch's
lookups quadratic in its posts.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ContentObject

_KNOWN = "content.objects.known"


async def remember_objects(session: AsyncSession, ap_ids: Collection[str]) -> None:
    """Look up many ids at once; :func:`recall` answers them from then on."""
    wanted = sorted(set(ap_ids))
    known: dict[str, ContentObject | None] | None = session.info.get(_KNOWN)
    if known is None:
        known = session.info[_KNOWN] = {}
        # Objects pending already are flushed by the query below (autoflush) and found.
        event.listen(session.sync_session, "transient_to_pending", _remember_added)
    for chunk in range(0, len(wanted), 500):
        part = wanted[chunk : chunk + 500]
        rows = await session.exec(select(ContentObject).where(col(ContentObject.ap_id).in_(part)))
        found = {row.ap_id: row for row in rows.all()}
        for ap_id in part:
            known[ap_id] = found.get(ap_id)


def forget_objects(session: AsyncSession) -> None:
    """Stop answering from what :func:`remember_objects` found."""
    if session.info.pop(_KNOWN, None) is not None:
        event.remove(session.sync_session, "transient_to_pending", _remember_added)


def recall(session: AsyncSession, ap_id: str) -> tuple[bool, ContentObject | None]:
    """(True, the answer) when the memory answers ``ap_id`` surely; else (False, None)."""
    known: dict[str, ContentObject | None] | None = session.info.get(_KNOWN)
    if known is None or ap_id not in known:
        return (False, None)
    remembered = known[ap_id]
    if remembered is None:
        return (True, None)
    state = inspect(remembered)
    if state.pending or (state.persistent and not state.expired_attributes):
        return (True, remembered)
    return (False, None)


def _remember_added(sync_session: Any, obj: Any) -> None:
    known = sync_session.info.get(_KNOWN)
    if known is not None and isinstance(obj, ContentObject):
        known[obj.ap_id] = obj
