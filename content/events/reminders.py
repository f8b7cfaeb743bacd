"""Reminders before an event starts, sent exactly once whatever number of workers run.

The offsets are a setting (``STAFFROOM_EVENT_REMINDERS``, a day and an hour by
default). For each upcoming, not cancelled event whose start is within the
largest offset, each local participant who is accepted gets one reminder for
the *smallest* offset already reached (someone who joins two hours before
the start gets the one-hour reminder later, not a one-day reminder now).

Exactly once: the :class:`EventReminder` row (event, participant, offset) is
inserted in the transaction that writes the notification. Two workers racing
for the same reminder both try that INSERT; the primary key lets one commit
and the other fail and roll back, notification included.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from actors.context import NodeContext
from content.events.model import ACCEPTED
from content.notifications import EVENT_REMINDER, notify
from storage.models import Actor, ContentObject, EventParticipant, EventReminder, EventRow

log = logging.getLogger(__name__)
BATCH = 200


def due_offset(start: datetime, now: datetime, offsets: tuple[int, ...]) -> int | None:
    """The smallest offset whose moment has come for an event starting at ``start``."""
    if start <= now:
        return None
    reached = [o for o in offsets if start - timedelta(seconds=o) <= now]
    return min(reached) if reached else None


async def _pending(
    node: NodeContext, now: datetime, offsets: tuple[int, ...]
) -> list[tuple[int, int, int]]:
    """(event, participant, offset) triples due and not yet sent."""
    horizon = now + timedelta(seconds=max(offsets))
    async with node.sessions() as session:
        rows = await session.exec(
            select(EventRow.object_id, EventRow.start_at, EventParticipant.actor_id)
            .join(EventParticipant, col(EventParticipant.event_id) == EventRow.object_id)
            .join(Actor, col(Actor.id) == EventParticipant.actor_id)
            .where(
                col(EventRow.start_at) > now,
                col(EventRow.start_at) <= horizon,
                EventRow.status != "CANCELLED",
                EventParticipant.state == ACCEPTED,
                col(Actor.local),
            )
            .limit(BATCH * 4)
        )
        wanted = []
        for event_id, start, actor_id in rows.all():
            offset = due_offset(start, now, offsets)
            if offset is not None:
                wanted.append((event_id, actor_id, offset))
        if not wanted:
            return []
        sent = await session.exec(
            select(
                EventReminder.event_id, EventReminder.actor_id, EventReminder.offset_seconds
            ).where(col(EventReminder.event_id).in_({w[0] for w in wanted}))
        )
        done = set(sent.all())
    return [w for w in wanted if w not in done][:BATCH]


async def _send_one(node: NodeContext, event_id: int, actor_id: int, offset: int) -> bool:
    async with node.sessions() as session:
        try:
            session.add(EventReminder(event_id=event_id, actor_id=actor_id, offset_seconds=offset))
            await session.flush()
        except IntegrityError:
            await session.rollback()
            return False  # another worker has it
        row = await session.get(EventRow, event_id)
        obj = await session.get(ContentObject, event_id)
        participant = await session.get(Actor, actor_id)
        organizer = await session.get(Actor, row.organizer_id) if row else None
        if obj is not None and participant is not None and organizer is not None:
            await notify(session, participant, EVENT_REMINDER, organizer, obj, allow_self=True)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return False
        return True


async def send_due(node: NodeContext, now: datetime) -> int:
    """Send the reminders whose moment has come; returns how many this worker sent."""
    offsets = node.config.events.reminders
    if not offsets:
        return 0
    sent = 0
    for event_id, actor_id, offset in await _pending(node, now, offsets):
        try:
            sent += await _send_one(node, event_id, actor_id, offset)
        except Exception:
            log.exception("reminder of event %s failed", event_id)
    return sent
