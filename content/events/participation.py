"""Joining and leaving events, at the event's origin and on the participant's node.

**At the origin** (our event) the decision is made here, first come first
served, with the event row locked (``FOR UPDATE`` on PostgreSQL; SQLite's one
writer serializes anyway), so two Joins racing for the last place cannot both
get it:

* closed registration (``invite``), a cancelled or finished event, or a
  second Join of the same actor: refused (:class:`EventError`), nothing kept;
* full: ``waiting`` when the event keeps a wait list, else refused;
* by approval (``restricted``): ``pending`` until the organizer decides;
* open: ``accepted``.

A remote participant hears the answer as ``Accept``/``Reject`` of their
``Join`` (embedded, as Mobilizon reads it); a refusal to a remote Join is a
``Reject`` too. When an accepted participant leaves, the first on the wait
list takes the place. Every change of the accepted count marks an
``Update`` owed (:mod:`content.events.counts`).

**On the participant's node** (a remote event) a Join is sent to the
organizer and the row stays ``pending`` until its ``Accept`` or ``Reject``
arrives (:func:`answer`), which only the event's origin may send.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import iso
from content.due_updates import hold
from content.events import gathio
from content.events.counts import mark_count_due
from content.events.model import (
    ACCEPTED,
    ACTIVE,
    PENDING,
    REJECTED,
    WAITING,
    EventView,
    accepted_count,
    participants,
    participation,
)
from content.events.rules import EventError
from federation.jsonld import canonical_context
from federation.origin import same_origin
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ContentObject, EventParticipant, EventRow
from storage.types import utcnow


async def _locked(session: AsyncSession, event_id: int) -> EventRow:
    """The event row, fresh and (PostgreSQL) locked for the decision."""
    row: EventRow | None = await hold(session, EventRow.object_id, event_id)
    if row is None:
        raise EventError("the event has been deleted")
    return row


def _open_for_joining(row: EventRow) -> None:
    if row.status == "CANCELLED":
        raise EventError("the event is cancelled")
    if row.end_at <= utcnow():
        raise EventError("the event is over")
    if row.join_mode == "invite":
        raise EventError("registration for this event is closed")


def _answer_body(
    node: NodeContext,
    organizer: Actor,
    kind: str,
    event_ap_id: str,
    row: EventParticipant,
    participant: Actor,
) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(organizer.username, new_id()),
        "type": kind,
        "actor": organizer.ap_id,
        "to": [participant.ap_id],
        "published": iso(utcnow()),
        "object": {
            "id": row.join_ap_id,
            "type": "Join",
            "actor": participant.ap_id,
            "object": event_ap_id,
        },
    }


async def _tell(
    session: AsyncSession,
    node: NodeContext,
    organizer: Actor,
    obj: ContentObject,
    row: EventParticipant,
    participant: Actor,
    kind: str,
) -> None:
    if participant.local or not row.join_ap_id:
        return
    body = _answer_body(node, organizer, kind, obj.ap_id, row, participant)
    await publish(session, organizer, body)


async def refuse_remote(
    session: AsyncSession,
    node: NodeContext,
    organizer: Actor,
    obj: ContentObject,
    participant: Actor,
    join_ap_id: str,
) -> None:
    """A ``Reject`` of a remote Join we keep nothing of (full, closed, over)."""
    row = EventParticipant(event_id=0, actor_id=0, join_ap_id=join_ap_id)
    await _tell(session, node, organizer, obj, row, participant, "Reject")


async def request(
    session: AsyncSession,
    node: NodeContext,
    view: EventView,
    obj: ContentObject,
    participant: Actor,
    join_ap_id: str | None = None,
) -> EventParticipant:
    """``participant`` asks to join our event; returns their row with the decision."""
    assert participant.id is not None
    row = await _locked(session, view.row.object_id)
    _open_for_joining(row)
    earlier = await participation(session, row.object_id, participant.id)
    if earlier is not None:
        if earlier.state == REJECTED:
            raise EventError("the organizer has declined your participation")
        raise EventError("you have already joined this event")
    accepted = await accepted_count(session, row.object_id)
    full = row.capacity is not None and accepted >= row.capacity
    if full and not row.wait_list:
        raise EventError("the event is full")
    state = WAITING if full else (PENDING if row.join_mode == "restricted" else ACCEPTED)
    join_id = join_ap_id or f"{participant.ap_id}#join/{row.object_id}/{new_id()}"
    entry = EventParticipant(
        id=new_id(),
        event_id=row.object_id,
        actor_id=participant.id,
        state=state,
        join_ap_id=join_id,
        decided_at=utcnow() if state == ACCEPTED else None,
    )
    session.add(entry)
    await session.flush()
    if state == ACCEPTED:
        organizer = await session.get(Actor, row.organizer_id)
        assert organizer is not None
        await _tell(session, node, organizer, obj, entry, participant, "Accept")
        await mark_count_due(session, node, row)
    return entry


async def decide(
    session: AsyncSession,
    node: NodeContext,
    view: EventView,
    obj: ContentObject,
    participant_id: int,
    *,
    approve: bool,
) -> EventParticipant:
    """The organizer approves or declines a pending (or waiting) participant."""
    row = await _locked(session, view.row.object_id)
    entry = await session.get(EventParticipant, participant_id)
    if entry is None or entry.event_id != row.object_id:
        raise LookupError("no such participant")
    participant = await session.get(Actor, entry.actor_id)
    organizer = await session.get(Actor, row.organizer_id)
    assert participant is not None and organizer is not None
    if approve:
        if entry.state == ACCEPTED:
            return entry
        accepted = await accepted_count(session, row.object_id)
        if row.capacity is not None and accepted >= row.capacity:
            raise EventError("the event is full")
        entry.state = ACCEPTED
    else:
        was_accepted = entry.state == ACCEPTED
        entry.state = REJECTED
        if was_accepted:
            await mark_count_due(session, node, row)
    entry.decided_at = utcnow()
    session.add(entry)
    await session.flush()
    await _tell(
        session, node, organizer, obj, entry, participant, "Accept" if approve else "Reject"
    )
    if approve:
        await mark_count_due(session, node, row)
    return entry


async def leave(
    session: AsyncSession,
    node: NodeContext,
    view: EventView,
    obj: ContentObject,
    participant: Actor,
) -> bool:
    """``participant`` leaves our event; the first on the wait list takes a freed place."""
    assert participant.id is not None
    row = await _locked(session, view.row.object_id)
    entry = await participation(session, row.object_id, participant.id)
    if entry is None or entry.state == REJECTED:
        return False
    freed = entry.state == ACCEPTED
    await session.delete(entry)
    await session.flush()
    if not freed:
        return True
    await mark_count_due(session, node, row)
    waiting = await participants(session, row.object_id, (WAITING,))
    if waiting and row.join_mode == "free":
        first, actor = waiting[0]
        first.state, first.decided_at = ACCEPTED, utcnow()
        session.add(first)
        await session.flush()
        organizer = await session.get(Actor, row.organizer_id)
        assert organizer is not None
        await _tell(session, node, organizer, obj, first, actor, "Accept")
    elif waiting:
        first, _actor = waiting[0]
        first.state = PENDING  # a freed place: the organizer may now approve them
        session.add(first)
        await session.flush()
    return True


# -- on the participant's node: someone else's event ------------------------------------


def _join_body(
    node: NodeContext, participant: Actor, kind: str, obj: ContentObject, organizer: Actor
) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(participant.username, new_id()),
        "type": kind,
        "actor": participant.ap_id,
        "to": [organizer.ap_id],
        "published": iso(utcnow()),
        "object": obj.ap_id,
    }


async def join_remote(
    session: AsyncSession,
    node: NodeContext,
    view: EventView,
    obj: ContentObject,
    participant: Actor,
) -> EventParticipant:
    """Our ``participant`` joins a remote event: ``Join`` to its organizer, pending its answer."""
    assert participant.id is not None
    _open_for_joining(view.row)
    earlier = await participation(session, view.row.object_id, participant.id)
    if earlier is not None and earlier.state in ACTIVE:
        raise EventError("you have already joined this event")
    organizer = await session.get(Actor, view.row.organizer_id)
    assert organizer is not None
    state = PENDING
    if await gathio.is_gathio(session, node, organizer):
        # gathio's RSVP; it sends no answer activity (content/events/gathio.py).
        body, state = gathio.rsvp(node, participant, obj, organizer), ACCEPTED
    else:
        body = _join_body(node, participant, "Join", obj, organizer)
    if earlier is not None:
        await session.delete(earlier)
        await session.flush()
    entry = EventParticipant(
        id=new_id(),
        event_id=view.row.object_id,
        actor_id=participant.id,
        state=state,
        join_ap_id=body["id"],
    )
    session.add(entry)
    await session.flush()
    await publish(session, participant, body)
    return entry


async def leave_remote(
    session: AsyncSession,
    node: NodeContext,
    view: EventView,
    obj: ContentObject,
    participant: Actor,
) -> bool:
    assert participant.id is not None
    entry = await participation(session, view.row.object_id, participant.id)
    if entry is None:
        return False
    organizer = await session.get(Actor, view.row.organizer_id)
    assert organizer is not None
    rsvp_id = entry.join_ap_id
    await session.delete(entry)
    await session.flush()
    if rsvp_id and await gathio.is_gathio(session, node, organizer):
        body = gathio.unrsvp(node, participant, obj, organizer, rsvp_id)
    else:
        body = _join_body(node, participant, "Leave", obj, organizer)
    await publish(session, participant, body)
    return True


async def answer(session: AsyncSession, join_ap_id: str, sender: Actor, *, accepted: bool) -> bool:
    """An ``Accept``/``Reject`` of a Join we sent; False when it is not one of ours.

    Only the event's origin answers for it (the organizer, or a member of the
    organizing group on the same server).
    """
    entry = (
        await session.exec(
            select(EventParticipant).where(EventParticipant.join_ap_id == join_ap_id)
        )
    ).first()
    if entry is None:
        return False
    obj = await session.get(ContentObject, entry.event_id)
    if obj is None or obj.local or not same_origin(obj.ap_id, sender.ap_id):
        raise PermissionError("only the event's origin answers a Join")
    entry.state = ACCEPTED if accepted else REJECTED
    entry.decided_at = utcnow()
    session.add(entry)
    await session.flush()
    return True
