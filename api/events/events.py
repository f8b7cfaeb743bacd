"""``/api/v1/staffroom/events``: organize, list, read, edit, cancel, delete, join and leave.

* ``POST`` (``write:events``): ``title``, ``start_time``, ``end_time`` (ISO
  8601; without an offset read in ``timezone``), ``timezone`` (IANA),
  ``description`` (Markdown), ``kind``, ``online_url``, ``place[name]``,
  ``place[street]``, ``place[locality]``, ``place[region]``,
  ``place[postal_code]``, ``place[country]``, ``place[latitude]``,
  ``place[longitude]``, ``capacity``, ``registration`` (``open``,
  ``approval``, ``closed``), ``wait_list``, ``subjects[]``, ``grades[]``,
  ``image_url``, ``visibility`` → the event. A refused value is ``422
  Validation failed: <reason>`` and nothing is kept.
* ``GET`` (token optional, ``read:events``): upcoming events; ``from``,
  ``to`` (a start range), ``past``, ``subject``, ``grade``, ``community_id``,
  ``node``, ``local``, ``organizer_id``, ``joined`` (the viewer's), paged
  with ``limit``/``offset``.
* ``GET /:id``; ``PUT``/``PATCH /:id`` (the organizer; fields as for
  ``POST``); ``POST /:id/cancel``; ``DELETE /:id``.
* ``POST /:id/join``, ``POST /:id/leave`` (``write:events``).
* ``GET /:id/participants`` (the organizer: everyone with their state;
  others: the accepted only), ``POST /:id/participants/:pid/approve`` and
  ``/reject`` (the organizer).

An event the viewer may not see is ``404 Record not found``, exactly as one
that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.acting import Acting, act
from api.auth import optional_scope, require_user
from api.entities.account import account_entities
from api.errors import ApiError
from api.events import community, forms
from api.events.render import render_events, render_one
from api.pagination import offset_link_header, page_params
from api.params import read_params
from api.status_support import NOT_FOUND, node_of, path_id, refused
from content.events import participation, publishing, queries
from content.events.model import ACCEPTED, ACTIVE, EventView, load_view, participants
from content.events.rules import EventError
from storage.models import Actor, ContentObject, EventRow

READ, WRITE = "read:events", "write:events"
FORBIDDEN = "This action is not allowed"


async def _visible(
    session: AsyncSession, event_id: int, viewer: Actor | None
) -> tuple[EventView, ContentObject]:
    try:
        _row, obj = await queries.visible_event(session, event_id, viewer)
    except queries.EventNotFound:
        raise ApiError(404, NOT_FOUND) from None
    view = await load_view(session, event_id)
    if view is None:
        raise ApiError(404, NOT_FOUND)
    return view, obj


def _organizer_only(view: EventView, actor: Actor) -> None:
    if not view.row.local or view.row.organizer_id != actor.id:
        raise ApiError(403, FORBIDDEN)


async def create(request: Request) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request)
    draft = forms.draft(params)
    node = node_of(request)
    async with node.sessions() as session:
        draft = await community.organized_by(
            session, draft, forms.community_param(params), user.actor
        )
        try:
            view = await publishing.create_event(session, node, user.actor, draft)
        except EventError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await render_one(session, node, view.row, user.actor))


async def index(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    params = await read_params(request)
    page = page_params(params, maximum=queries.MAX_LIMIT)
    query = forms.query(params, page.limit, page.offset)
    node = node_of(request)
    async with node.sessions() as session:
        query = await community.filtered(session, query, forms.community_param(params))
        rows = await queries.find(session, viewer, query)
        entities = await render_events(session, node, rows, viewer)
    return JSONResponse(entities, headers=offset_link_header(request, page, len(rows)))


async def show(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        view, _obj = await _visible(session, path_id(request), viewer)
        return JSONResponse(await render_one(session, node, view.row, viewer))


def _event(
    request: Request, *, organizer: bool = False
) -> Callable[[Acting], Awaitable[tuple[EventView, ContentObject]]]:
    """The event in the path, as :func:`api.acting.act` finds it (``organizer``:
    and the caller organizes it, else 403)."""

    async def find(acting: Acting) -> tuple[EventView, ContentObject]:
        view, obj = await _visible(acting.session, path_id(request), acting.actor)
        if organizer:
            _organizer_only(view, acting.actor)
        return view, obj

    return find


async def _rendered(acting: Acting, row: EventRow) -> dict[str, Any]:
    await acting.session.refresh(row)  # as committed: a join or leave moved the counts
    return await render_one(acting.session, acting.node, row, acting.actor)


async def update(request: Request) -> Response:
    async def do(acting: Acting, found: tuple[EventView, ContentObject]) -> EventRow:
        edit = forms.edit(await acting.params())
        view = await publishing.update_event(
            acting.session, acting.node, acting.actor, found[0], edit
        )
        return view.row

    return await act(request, WRITE, _event(request, organizer=True), do, _rendered, (EventError,))


async def cancel(request: Request) -> Response:
    async def do(acting: Acting, found: tuple[EventView, ContentObject]) -> EventRow:
        session, node, actor = acting.session, acting.node, acting.actor
        return (await publishing.cancel_event(session, node, actor, found[0])).row

    return await act(request, WRITE, _event(request, organizer=True), do, _rendered, (EventError,))


async def destroy(request: Request) -> Response:
    async def do(acting: Acting, found: tuple[EventView, ContentObject]) -> dict[str, Any]:
        view = found[0]
        entity = await render_one(acting.session, acting.node, view.row, acting.actor)
        await publishing.delete_event(acting.session, acting.node, acting.actor, view)
        return entity  # as it was: the row is gone

    return await act(request, WRITE, _event(request, organizer=True), do, _as_is)


async def join(request: Request) -> Response:
    async def do(acting: Acting, found: tuple[EventView, ContentObject]) -> EventRow:
        view, obj = found
        joining = participation.request if view.row.local else participation.join_remote
        await joining(acting.session, acting.node, view, obj, acting.actor)
        return view.row

    return await act(request, WRITE, _event(request), do, _rendered, (EventError,))


async def leave(request: Request) -> Response:
    async def do(acting: Acting, found: tuple[EventView, ContentObject]) -> EventRow:
        view, obj = found
        leaving = participation.leave if view.row.local else participation.leave_remote
        if not await leaving(acting.session, acting.node, view, obj, acting.actor):
            raise ApiError(422, "Validation failed: you have not joined this event")
        return view.row

    return await act(request, WRITE, _event(request), do, _rendered)


async def _as_is(_acting: Acting, body: dict[str, Any]) -> dict[str, Any]:
    return body


async def participant_list(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        view, _obj = await _visible(session, path_id(request), viewer)
        organizer = viewer is not None and view.row.organizer_id == viewer.id
        found = await participants(
            session, view.row.object_id, ACTIVE if organizer else (ACCEPTED,)
        )
        accounts = await account_entities(session, node, [a for _p, a in found])
        body = [
            {"id": str(p.id), "state": p.state, "account": account}
            for (p, _a), account in zip(found, accounts, strict=True)
        ]
    return JSONResponse(body)


async def _decide(request: Request, *, approve: bool) -> Response:
    async def do(acting: Acting, found: tuple[EventView, ContentObject]) -> dict[str, Any]:
        view, obj = found
        try:
            entry = await participation.decide(
                acting.session, acting.node, view, obj, path_id(request, "pid"), approve=approve
            )
        except LookupError:
            raise ApiError(404, NOT_FOUND) from None
        return {"id": str(entry.id), "state": entry.state}

    return await act(request, WRITE, _event(request, organizer=True), do, _as_is, (EventError,))


async def approve(request: Request) -> Response:
    return await _decide(request, approve=True)


async def reject(request: Request) -> Response:
    return await _decide(request, approve=False)
