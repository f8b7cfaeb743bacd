"""The ``Event`` entity of ``/api/v1/staffroom/events`` (documented in README.md).

``id`` is also the event's status id in the Mastodon API (what Mastodon apps
show: a status with the title, time, place and link). Counts of our own
events are counted from the participant rows; a remote event's are what its
origin last federated. ``participation`` is the viewer's own state
(``accepted``, ``pending``, ``waiting``, ``rejected`` or null).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.account import account_entities
from api.entities.time import iso_ms
from content.events.as2 import remaining
from content.events.model import accepted_count, codes
from content.events.rules import registration_of
from storage.models import Actor, EventParticipant, EventRow
from storage.repos.by_id import actors_by_id, objects_by_id


def _place(row: EventRow) -> dict[str, Any] | None:
    values = {
        "name": row.place_name,
        "street": row.street,
        "locality": row.locality,
        "region": row.region,
        "postal_code": row.postal_code,
        "country": row.country,
        "latitude": row.latitude,
        "longitude": row.longitude,
    }
    return values if any(v is not None for v in values.values()) else None


async def render_events(
    session: AsyncSession, node: NodeContext, rows: Sequence[EventRow], viewer: Actor | None
) -> list[dict[str, Any]]:
    ids = [r.object_id for r in rows]
    if not ids:
        return []
    objects = await objects_by_id(session, ids)
    organizers = await actors_by_id(session, {r.organizer_id for r in rows})
    accounts = dict(
        zip(
            organizers,
            await account_entities(session, node, list(organizers.values())),
            strict=True,
        )
    )
    mine: dict[int, str] = {}
    if viewer is not None:
        found = await session.exec(
            select(EventParticipant.event_id, EventParticipant.state).where(
                EventParticipant.actor_id == viewer.id, col(EventParticipant.event_id).in_(ids)
            )
        )
        mine = dict(found.all())
    out = []
    base = node.config.base_url
    for row in rows:
        obj = objects.get(row.object_id)
        if obj is None or obj.deleted_at is not None:
            continue
        count = await accepted_count(session, row.object_id) if row.local else row.participant_count
        subjects, grades = await codes(session, row.object_id)
        own = viewer is not None and viewer.id == row.organizer_id
        entity: dict[str, Any] = {
            "id": str(row.object_id),
            "uri": obj.ap_id,
            "url": obj.url or obj.ap_id,
            "title": row.title,
            "kind": row.kind,
            "description": obj.content,
            "start_time": iso_ms(row.start_at),
            "end_time": iso_ms(row.end_at),
            "timezone": row.timezone,
            "online_url": row.online_url,
            "place": _place(row),
            "capacity": row.capacity,
            "registration": registration_of(row.join_mode),
            "wait_list": row.wait_list,
            "status": row.status.lower(),
            "participants_count": count,
            "remaining_capacity": remaining(row, count),
            "subjects": subjects,
            "grades": grades,
            "image_url": row.image_url,
            "visibility": row.visibility,
            "local": row.local,
            "community_id": None if row.community_id is None else str(row.community_id),
            "organizer": accounts.get(row.organizer_id),
            "participation": mine.get(row.object_id),
            "calendar_url": f"{base}/api/v1/staffroom/events/{row.object_id}/calendar.ics",
        }
        if own:
            entity["description_source"] = row.description_source
        out.append(entity)
    return out


async def render_one(
    session: AsyncSession, node: NodeContext, row: EventRow, viewer: Actor | None
) -> dict[str, Any]:
    found = await render_events(session, node, [row], viewer)
    if not found:
        raise LookupError("the event cannot be rendered")
    return found[0]
