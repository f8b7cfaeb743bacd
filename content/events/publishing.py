"""Our own events: create, edit, cancel and delete them, and publish what each one means.

One transaction per action, committed by the caller: the ``objects`` row
(the ``Event`` other servers read), the event's rows and the activity with
its deliveries. Everything the client sent is checked before the first
write, so a refused event leaves nothing behind. The event's row id is its
object's id, which is its status id in the Mastodon API.

An edit or a cancellation is an ``Update`` sent to the event's audience
*and* to every participant's node (participants need not follow the
organizer), and each local participant gets an ``update`` notification.
A cancellation is an ``Update`` whose ``ical:status`` is ``CANCELLED``, as
Mobilizon sends it; a removal is a ``Delete``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import iso, object_to_as2
from content.edits import record_version
from content.events import rules
from content.events.as2 import object_fields
from content.events.model import ACTIVE, EventView, accepted_count, load_view, participants
from content.events.rules import EventDraft, EventError, Place
from content.materials.markdown import MAX_DESCRIPTION_CHARS, render_description
from content.notifications import UPDATE, notify
from content.posts import delete_post
from content.visibility import draft_addressing
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ContentObject, EventCode, EventRow
from storage.types import utcnow

__all__ = ["EventDraft", "EventEdit", "EventError", "create_event"]


@dataclass(frozen=True)
class EventEdit:
    """What an edit changes; ``None`` keeps a field."""

    title: str | None = None
    description: str | None = None
    kind: str | None = None
    start: str | None = None
    end: str | None = None
    timezone: str | None = None
    online_url: str | None = None
    place: Place | None = None
    capacity: int | None = None
    clear_capacity: bool = False
    registration: str | None = None
    wait_list: bool | None = None
    subjects: list[str] | None = None
    grades: list[str] | None = None
    image_url: str | None = None


def _description(source: str) -> str:
    if len(source) > MAX_DESCRIPTION_CHARS:
        raise EventError(f"the description is longer than {MAX_DESCRIPTION_CHARS} characters")
    return render_description(source) if source.strip() else ""


def _apply_place(row: EventRow, place: Place) -> None:
    row.place_name, row.street, row.locality = place.name, place.street, place.locality
    row.region, row.postal_code, row.country = place.region, place.postal_code, place.country
    row.latitude, row.longitude = place.latitude, place.longitude


def _checked(draft: EventDraft, node: NodeContext) -> tuple[EventRow, list[str], list[str]]:
    """An unsaved row from a draft, every rule checked."""
    start_at, end_at, zone = rules.check_times(draft.start, draft.end, draft.timezone)
    subjects, grades = rules.check_codes_of(draft.subjects, draft.grades)
    place = rules.check_place(draft.place)
    online = rules.check_url(draft.online_url, node.config, "the online link")
    image = rules.check_url(draft.image_url, node.config, "the image")
    row = EventRow(
        object_id=0,
        organizer_id=0,
        domain=node.config.domain,
        visibility=draft.visibility,
        kind=rules.check_kind(draft.kind),
        title=rules.check_title(draft.title),
        description_source=draft.description,
        start_at=start_at,
        end_at=end_at,
        timezone=zone,
        online_url=online,
        capacity=rules.check_capacity(draft.capacity),
        join_mode=rules.check_registration(draft.registration),
        wait_list=bool(draft.wait_list),
        image_url=image,
    )
    _apply_place(row, place)
    _description(draft.description)
    return row, subjects, grades


async def _set_codes(
    session: AsyncSession, event_id: int, subjects: list[str], grades: list[str]
) -> None:
    await session.exec(delete(EventCode).where(col(EventCode.event_id) == event_id))
    for code in subjects:
        session.add(EventCode(event_id=event_id, scheme="subject", code=code))
    for code in grades:
        session.add(EventCode(event_id=event_id, scheme="grade", code=code))
    await session.flush()


async def sync_object(session: AsyncSession, obj: ContentObject, view: EventView) -> None:
    """Write the event's wire fields into its ``objects`` row (our events only)."""
    accepted = await accepted_count(session, view.row.object_id)
    view.row.participant_count = accepted
    session.add(view.row)
    fields = object_fields(
        view.row,
        view.subjects,
        view.grades,
        accepted,
        _description(view.row.description_source),
        obj,
    )
    for name, value in fields.items():
        setattr(obj, name, value)
    session.add(obj)
    await session.flush()


def _activity(node: NodeContext, organizer: Actor, kind: str, obj: ContentObject) -> dict[str, Any]:
    doc = object_to_as2(obj, organizer, node.config)
    doc.pop("@context", None)
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(organizer.username, new_id()),
        "type": kind,
        "actor": organizer.ap_id,
        "published": iso(utcnow()),
        "to": list(obj.to),
        "cc": list(obj.cc),
        "object": doc,
    }


async def create_event(
    session: AsyncSession, node: NodeContext, organizer: Actor, draft: EventDraft
) -> EventView:
    """Check, store and publish (``Create``) a new event organized by ``organizer``."""
    if not organizer.local or organizer.id is None:
        raise EventError("only local accounts organize events here")
    row, subjects, grades = _checked(draft, node)
    object_id = new_id()
    ap_id = node.config.object_url(organizer.username, object_id)
    visibility, to, cc = draft_addressing(
        draft.visibility, organizer, draft.community, draft.members_only
    )
    now = utcnow()
    obj = ContentObject(
        id=object_id,
        ap_id=ap_id,
        type="Event",
        author_id=organizer.id,
        local=True,
        visibility=visibility,
        url=ap_id,
        conversation=ap_id,
        to=to,
        cc=cc,
        published=now,
    )
    session.add(obj)
    await session.flush()
    row.object_id, row.organizer_id, row.local = object_id, organizer.id, True
    row.visibility, row.community_id = visibility, draft.community_id
    session.add(row)
    await session.flush()
    await _set_codes(session, object_id, subjects, grades)
    view = EventView(row, subjects, grades)
    await sync_object(session, obj, view)
    await publish(session, organizer, _activity(node, organizer, "Create", obj))
    return view


def own_event(view: EventView, organizer: Actor) -> None:
    if not view.row.local or view.row.organizer_id != organizer.id:
        raise EventError("only the organizer may change an event")


async def _live_object(session: AsyncSession, view: EventView) -> ContentObject:
    obj = await session.get(ContentObject, view.row.object_id)
    if obj is None or obj.deleted_at is not None:
        raise EventError("the event has been deleted")
    return obj


async def _participant_ids(session: AsyncSession, event_id: int) -> tuple[list[str], list[Actor]]:
    """(remote participants' ids, local participants) of an event."""
    found = await participants(session, event_id, ACTIVE)
    return [a.ap_id for _p, a in found if not a.local], [a for _p, a in found if a.local]


async def publish_update(
    session: AsyncSession,
    node: NodeContext,
    organizer: Actor,
    obj: ContentObject,
    view: EventView,
    *,
    tell_participants: bool,
) -> None:
    """Rewrite the object from the event and send ``Update`` to its audience and participants."""
    obj.updated_at = utcnow()
    await sync_object(session, obj, view)
    remote, local = await _participant_ids(session, view.row.object_id)
    await publish(
        session, organizer, _activity(node, organizer, "Update", obj), extra_recipients=remote
    )
    if tell_participants:
        for participant in local:
            await notify(session, participant, UPDATE, organizer, obj)


async def update_event(
    session: AsyncSession, node: NodeContext, organizer: Actor, view: EventView, edit: EventEdit
) -> EventView:
    """Edit the organizer's event and publish ``Update``; participants are told."""
    own_event(view, organizer)
    obj = await _live_object(session, view)
    row = view.row
    if row.status == "CANCELLED":
        raise EventError("a cancelled event cannot be edited")
    zone = row.timezone if edit.timezone is None else edit.timezone
    draft = EventDraft(
        title=row.title if edit.title is None else edit.title,
        start=iso(row.start_at) if edit.start is None else edit.start,
        end=iso(row.end_at) if edit.end is None else edit.end,
        timezone=zone,
        description=row.description_source if edit.description is None else edit.description,
        kind=edit.kind or row.kind,
        online_url=row.online_url if edit.online_url is None else edit.online_url,
        place=edit.place
        if edit.place is not None
        else Place(
            row.place_name,
            row.street,
            row.locality,
            row.region,
            row.postal_code,
            row.country,
            row.latitude,
            row.longitude,
        ),
        capacity=None if edit.clear_capacity else (edit.capacity or row.capacity),
        registration=edit.registration or rules.registration_of(row.join_mode),
        wait_list=row.wait_list if edit.wait_list is None else edit.wait_list,
        subjects=view.subjects if edit.subjects is None else edit.subjects,
        grades=view.grades if edit.grades is None else edit.grades,
        image_url=row.image_url if edit.image_url is None else edit.image_url,
        visibility=row.visibility,  # type: ignore[arg-type]
    )
    fresh, subjects, grades = _checked(draft, node)
    await record_version(session, obj)
    for name in [
        "kind",
        "title",
        "description_source",
        "start_at",
        "end_at",
        "timezone",
        "online_url",
        "place_name",
        "street",
        "locality",
        "region",
        "postal_code",
        "country",
        "latitude",
        "longitude",
        "capacity",
        "join_mode",
        "wait_list",
        "image_url",
    ]:
        setattr(row, name, getattr(fresh, name))
    row.updated_at = utcnow()
    session.add(row)
    await _set_codes(session, row.object_id, subjects, grades)
    view = replace(view, subjects=subjects, grades=grades)
    await publish_update(session, node, organizer, obj, view, tell_participants=True)
    return view


async def cancel_event(
    session: AsyncSession, node: NodeContext, organizer: Actor, view: EventView
) -> EventView:
    """Cancel: an ``Update`` with ``ical:status`` CANCELLED, participants told."""
    own_event(view, organizer)
    obj = await _live_object(session, view)
    if view.row.status == "CANCELLED":
        raise EventError("the event is already cancelled")
    await record_version(session, obj)
    view.row.status = "CANCELLED"
    view.row.updated_at = utcnow()
    await publish_update(session, node, organizer, obj, view, tell_participants=True)
    return view


async def delete_event(
    session: AsyncSession, node: NodeContext, organizer: Actor, view: EventView
) -> None:
    """Delete: the object becomes a tombstone, ``Delete`` goes to the audience and participants."""
    own_event(view, organizer)
    obj = await _live_object(session, view)
    remote, _local = await _participant_ids(session, view.row.object_id)
    await delete_post(session, node, organizer, obj, extra_recipients=remote)
    await forget(session, view.row.object_id)


async def forget(session: AsyncSession, event_id: int) -> None:
    """Remove an event's rows (its object is a tombstone by now)."""
    await session.exec(delete(EventRow).where(col(EventRow.object_id) == event_id))
    await session.flush()


async def reload(session: AsyncSession, event_id: int) -> EventView:
    view = await load_view(session, event_id)
    if view is None:
        raise EventError("the event has been deleted")
    return view
