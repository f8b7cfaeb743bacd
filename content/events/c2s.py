"""An ``Event`` posted to the C2S outbox, and ``Join``/``Leave`` of an event, as domain calls.

A bare ``Event`` (or one in a ``Create``) is read the way a peer's is read,
then organized exactly as through the API (:func:`publishing.create_event`):
``name``, ``startTime``, ``endTime``, ``timezone``, ``content`` or a
Markdown ``source``, ``location`` (a ``Place`` with an ``address``),
``maximumAttendeeCapacity``, ``joinMode``, ``eventKind``, ``schoolSubject``,
``grade``, an online link as a ``Link`` attachment, an ``image``.
``Join``/``Leave`` name the event by id; our own events decide at once,
another server's are asked with a ``Join`` sent to their organizer.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import iso
from content.events import participation
from content.events.model import load_view
from content.events.publishing import create_event
from content.events.rules import REGISTRATION, EventDraft, EventError, Place
from content.objects import fetch_object
from content.sanitize import plain_text
from federation.jsonld import canonical_context
from federation.vocab import as_list, text_of, url_of
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Activity, Actor, ContentObject, Visibility
from storage.types import utcnow


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _place(location: Any) -> Place:
    if not isinstance(location, dict):
        return Place()
    address = location.get("address") if isinstance(location.get("address"), dict) else {}
    assert isinstance(address, dict)

    def number(name: str) -> float | None:
        value = location.get(name)
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    return Place(
        name=_text(location.get("name")),
        street=_text(address.get("streetAddress")),
        locality=_text(address.get("addressLocality")),
        region=_text(address.get("addressRegion")),
        postal_code=_text(address.get("postalCode")),
        country=_text(address.get("addressCountry")),
        latitude=number("latitude"),
        longitude=number("longitude"),
    )


def _codes(value: Any) -> list[str]:
    return [v for v in as_list(value) if isinstance(v, str)]


def draft_from_c2s(obj: dict[str, Any], visibility: Visibility) -> EventDraft:
    source = obj.get("source")
    description = (
        source["content"]
        if isinstance(source, dict) and isinstance(source.get("content"), str)
        else plain_text(text_of(obj.get("content"))) or ""
    )
    online = next(
        (
            url_of(item.get("href") or item.get("url"))
            for item in as_list(obj.get("attachment"))
            if isinstance(item, dict) and item.get("type") == "Link"
        ),
        None,
    )
    capacity = obj.get("maximumAttendeeCapacity")
    join_mode = obj.get("joinMode")
    registration = next((k for k, v in REGISTRATION.items() if v == join_mode), "open")
    image = obj.get("image")
    return EventDraft(
        title=text_of(obj.get("name")) or "",
        start=str(obj.get("startTime") or ""),
        end=str(obj.get("endTime") or ""),
        timezone=_text(obj.get("timezone")) or "UTC",
        description=description,
        kind=_text(obj.get("eventKind")) or "other",
        online_url=online,
        place=_place(obj.get("location")),
        capacity=capacity if isinstance(capacity, int) and capacity > 0 else None,
        registration=registration,
        subjects=_codes(obj.get("schoolSubject")),
        grades=_codes(obj.get("grade")),
        image_url=url_of(image.get("url") if isinstance(image, dict) else image),
        visibility=visibility,
    )


async def create_from_c2s(
    session: AsyncSession,
    node: NodeContext,
    actor: Actor,
    obj: dict[str, Any],
    visibility: Visibility,
) -> str:
    """Organize the event; returns its id."""
    view = await create_event(session, node, actor, draft_from_c2s(obj, visibility))
    found = await session.get(ContentObject, view.row.object_id)
    assert found is not None
    return found.ap_id


async def _event(session: AsyncSession, node: NodeContext, ap_id: str) -> tuple[ContentObject, Any]:
    obj = await fetch_object(session, node, ap_id)
    view = await load_view(session, obj.id) if obj is not None and obj.id else None
    if obj is None or view is None:
        raise EventError("that is not an event")
    return obj, view


async def join(session: AsyncSession, node: NodeContext, actor: Actor, ap_id: str) -> Activity:
    obj, view = await _event(session, node, ap_id)
    if not view.row.local:
        entry = await participation.join_remote(session, node, view, obj, actor)
        return await _activity(session, entry.join_ap_id or "")
    body = _body(node, actor, "Join", obj)
    await participation.request(session, node, view, obj, actor, body["id"])
    activity, _audience = await publish(session, actor, body)
    return activity


async def leave(session: AsyncSession, node: NodeContext, actor: Actor, ap_id: str) -> Activity:
    obj, view = await _event(session, node, ap_id)
    if view.row.local:
        if not await participation.leave(session, node, view, obj, actor):
            raise EventError("you have not joined this event")
        activity, _audience = await publish(session, actor, _body(node, actor, "Leave", obj))
        return activity
    if not await participation.leave_remote(session, node, view, obj, actor):
        raise EventError("you have not joined this event")
    found = await session.exec(
        select(Activity)
        .where(Activity.actor_id == actor.id, Activity.type == "Leave")
        .order_by(col(Activity.id).desc())
    )
    latest = found.first()
    assert latest is not None
    return latest


def _body(node: NodeContext, actor: Actor, kind: str, obj: ContentObject) -> dict[str, Any]:
    """A Join/Leave of one of our own events: recorded, decided here, sent to no one."""
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(actor.username, new_id()),
        "type": kind,
        "actor": actor.ap_id,
        "to": [],
        "published": iso(utcnow()),
        "object": obj.ap_id,
    }


async def _activity(session: AsyncSession, ap_id: str) -> Activity:
    found = (await session.exec(select(Activity).where(Activity.ap_id == ap_id))).first()
    assert found is not None
    return found
