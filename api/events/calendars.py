"""``.ics`` calendars: one event, the events a person joined, a community's, the node's.

* ``GET /api/v1/staffroom/events/:id/calendar.ics``: the event (whoever may see it).
* ``GET /api/v1/staffroom/events/calendar.ics``: the node's own open events
  (``community_id`` for one community's; the same filters as the list).
* ``GET /api/v1/staffroom/communities/:id/calendar.ics``: the events a
  community organizes or announced (the same filters as the list); a members-only
  community's only for its members (404 to anyone else).
* ``GET /api/v1/staffroom/events/joined.ics`` (``read:events``): the events
  the token's account takes part in, wherever they are organized.
* ``GET|POST|DELETE /api/v1/staffroom/events/feed``: the account's secret
  calendar address (``/calendars/<token>/joined.ics``, the same calendar for
  apps that cannot send a token; :mod:`content.events.feeds`): read it,
  make a new one, revoke it.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import optional_scope, require_user
from api.community_param import known_community
from api.entities.time import iso_ms
from api.errors import ApiError
from api.events import community, forms
from api.params import read_params
from api.status_support import NOT_FOUND, node_of, path_id
from content.events import feeds, queries
from content.events.calendar import calendar
from storage.models import CalendarFeed, ContentObject, EventRow

READ, WRITE = "read:events", "write:events"
ICS = "text/calendar; charset=utf-8"
MAX_EVENTS = 500


async def _with_objects(
    session: AsyncSession, rows: list[EventRow]
) -> list[tuple[EventRow, ContentObject]]:
    out = []
    for row in rows:
        obj = await session.get(ContentObject, row.object_id)
        if obj is not None and obj.deleted_at is None:
            out.append((row, obj))
    return out


def _ics(body: bytes, name: str) -> Response:
    return Response(
        body, media_type=ICS, headers={"Content-Disposition": f'inline; filename="{name}.ics"'}
    )


async def one(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        try:
            row, obj = await queries.visible_event(session, path_id(request), viewer)
        except queries.EventNotFound:
            raise ApiError(404, NOT_FOUND) from None
        return _ics(calendar(row.title, [(row, obj)]), f"event-{row.object_id}")


async def node_calendar(request: Request) -> Response:
    node = node_of(request)
    params = await read_params(request)
    query = replace(forms.query(params, MAX_EVENTS, 0), local_only=True, joined=False)
    async with node.sessions() as session:
        rows = await queries.find(session, None, query)
        events = await _with_objects(session, rows)
    return _ics(calendar(node.config.node_name, events), "events")


async def joined_calendar(request: Request) -> Response:
    user = await require_user(request, READ)
    node = node_of(request)
    async with node.sessions() as session:
        return _ics(await feeds.joined_calendar(session, user.actor), "joined")


def _feed_entity(node_url: str, row: CalendarFeed | None) -> dict[str, object]:
    return {
        "url": f"{node_url}{feeds.feed_path(row.token)}" if row else None,
        "created_at": iso_ms(row.created_at) if row else None,
    }


async def feed(request: Request) -> Response:
    """``GET`` (``read:events``): the secret address, or ``{"url": null}``;
    ``POST`` (``write:events``): a new one (the old one stops); ``DELETE``: none."""
    write = request.method != "GET"
    user = await require_user(request, WRITE if write else READ)
    node = node_of(request)
    async with node.sessions() as session:
        if request.method == "POST":
            row: CalendarFeed | None = await feeds.regenerate(session, user.account)
        elif request.method == "DELETE":
            await feeds.revoke(session, user.account)
            row = None
        else:
            row = await feeds.feed_of(session, user.account)
        await session.commit()
        return JSONResponse(_feed_entity(node.config.base_url, row))


async def community_calendar(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    node = node_of(request)
    params = await read_params(request)
    async with node.sessions() as session:
        try:
            group = await known_community(session, request.path_params["id"])
        except ApiError:
            raise ApiError(404, NOT_FOUND) from None
        if not await community.calendar_visible(session, group, viewer):
            raise ApiError(404, NOT_FOUND)
        query = replace(forms.query(params, MAX_EVENTS, 0), community_id=group.id, joined=False)
        rows = await queries.find(session, viewer, query)
        events = await _with_objects(session, rows)
    return _ics(calendar(f"{group.display_name or group.username}: events", events), "community")
