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

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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


async def update(request: Request) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request)
    edit = forms.edit(params)
    node = node_of(request)
    async with node.sessions() as session:
        view, _obj = await _visible(session, path_id(request), user.actor)
        _organizer_only(view, user.actor)
        try:
            fresh = await publishing.update_event(session, node, user.actor, view, edit)
        except EventError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await render_one(session, node, fresh.row, user.actor))


async def cancel(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        view, _obj = await _visible(session, path_id(request), user.actor)
        _organizer_only(view, user.actor)
        try:
            fresh = await publishing.cancel_event(session, node, user.actor, view)
        except EventError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await render_one(session, node, fresh.row, user.actor))


async def destroy(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        view, _obj = await _visible(session, path_id(request), user.actor)
        _organizer_only(view, user.actor)
        entity = await render_one(session, node, view.row, user.actor)
        await publishing.delete_event(session, node, user.actor, view)
        await session.commit()
    return JSONResponse(entity)


async def join(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        view, obj = await _visible(session, path_id(request), user.actor)
        try:
            if view.row.local:
                await participation.request(session, node, view, obj, user.actor)
            else:
                await participation.join_remote(session, node, view, obj, user.actor)
        except EventError as exc:
            raise refused(exc) from None
        await session.commit()
        row = await session.get(EventRow, view.row.object_id)
        assert row is not None
        await session.refresh(row)
        return JSONResponse(await render_one(session, node, row, user.actor))


async def leave(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        view, obj = await _visible(session, path_id(request), user.actor)
        if view.row.local:
            left = await participation.leave(session, node, view, obj, user.actor)
        else:
            left = await participation.leave_remote(session, node, view, obj, user.actor)
        if not left:
            raise ApiError(422, "Validation failed: you have not joined this event")
        await session.commit()
        await session.refresh(view.row)
        return JSONResponse(await render_one(session, node, view.row, user.actor))


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
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        view, obj = await _visible(session, path_id(request), user.actor)
        _organizer_only(view, user.actor)
        try:
            entry = await participation.decide(
                session, node, view, obj, path_id(request, "pid"), approve=approve
            )
        except LookupError:
            raise ApiError(404, NOT_FOUND) from None
        except EventError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse({"id": str(entry.id), "state": entry.state})


async def approve(request: Request) -> Response:
    return await _decide(request, approve=True)


async def reject(request: Request) -> Response:
    return await _decide(request, approve=False)
