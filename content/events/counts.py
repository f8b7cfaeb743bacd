"""Our event's participant count, told to other nodes at most once per window.

A change of the accepted count (a Join accepted, an approval, a Leave)
sets ``count_update_due_at`` unless it is set already, so a burst of joins
costs one ``Update`` per window (``STAFFROOM_EVENT_COUNT_DEBOUNCE_SECONDS``).
:func:`publish_due` (run by :mod:`content.events.worker`) claims the row by a
conditional UPDATE on the time it read, so two worker processes never send
the same figures twice, and sends the ``Update`` to the event's audience and
every participant's node.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.due_updates import claim, due_rows, send_due
from content.events.model import load_view
from content.events.publishing import publish_update
from storage.models import Actor, ContentObject, EventRow
from storage.types import utcnow

BATCH = 20


async def mark_count_due(session: AsyncSession, node: NodeContext, row: EventRow) -> None:
    if not row.local or row.count_update_due_at is not None:
        return
    window = timedelta(seconds=node.config.events.count_debounce_seconds)
    row.count_update_due_at = utcnow() + window
    session.add(row)
    await session.flush()


async def _publish_one(node: NodeContext, event_id: int, due: datetime) -> bool:
    async with node.sessions() as session:
        if not await claim(
            session, EventRow.object_id, EventRow.count_update_due_at, event_id, due
        ):
            return False
        view = await load_view(session, event_id)
        obj = await session.get(ContentObject, event_id)
        organizer = await session.get(Actor, view.row.organizer_id) if view else None
        if view is None or obj is None or obj.deleted_at is not None or organizer is None:
            await session.commit()
            return False
        await session.refresh(view.row)
        await publish_update(session, node, organizer, obj, view, tell_participants=False)
        await session.commit()
        return True


async def publish_due(node: NodeContext, now: datetime) -> int:
    """Send the owed count Updates whose time has come; returns how many went out."""
    due = due_rows(
        EventRow.object_id, EventRow.count_update_due_at, now, col(EventRow.local), limit=BATCH
    )
    return await send_due(node, due, _publish_one, "count update of event")
