"""``/api/v1/notifications``: list (filtered, paged), get one, dismiss one, clear all, unread count.

Scopes as Mastodon's: ``read:notifications`` to read, ``write:notifications``
to dismiss or clear, with a user token. A notification that is not the
caller's is 404, never 403, so ids do not tell whose they are.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api import notification_queries as queries
from api.auth import require_user
from api.entities.notification import notification_entities, notification_entity
from api.errors import ApiError
from api.pagination import link_header, page_params
from api.params import read_params
from api.routing import api_routes
from content import notifications

READ = "read:notifications"
WRITE = "write:notifications"


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def index(request: Request) -> Response:
    user = await require_user(request, READ)
    params = await read_params(request)
    page = page_params(params, default=40, maximum=80)
    where = queries.notification_filter(params)
    node = _node(request)
    async with node.sessions() as session:
        rows = await queries.notifications_page(session, user.actor, where, page)
        body = await notification_entities(session, node, rows, user.actor)
    return JSONResponse(body, headers=link_header(request, [row.id for row in rows]))


async def show(request: Request) -> Response:
    user = await require_user(request, READ)
    node = _node(request)
    async with node.sessions() as session:
        row = await queries.notification_by_id(session, user.actor, request.path_params["id"])
        entity = await notification_entity(session, node, row, user.actor)
    if entity is None:
        raise ApiError(404, queries.NOT_FOUND)
    return JSONResponse(entity)


async def dismiss(request: Request) -> Response:
    user = await require_user(request, WRITE)
    async with _node(request).sessions() as session:
        row = await queries.notification_by_id(session, user.actor, request.path_params["id"])
        assert row.id is not None
        await notifications.dismiss(session, user.actor, row.id)
        await session.commit()
    return JSONResponse({})


async def clear(request: Request) -> Response:
    user = await require_user(request, WRITE)
    async with _node(request).sessions() as session:
        await notifications.clear(session, user.actor)
        await session.commit()
    return JSONResponse({})


async def unread_count(request: Request) -> Response:
    user = await require_user(request, READ)
    params = await read_params(request)
    where = queries.notification_filter(params)
    async with _node(request).sessions() as session:
        count = await queries.unread_count(session, user.actor, where, params.get_int("limit"))
    return JSONResponse({"count": count})


routes = api_routes(
    ("/api/v1/notifications", index, ["GET"]),
    ("/api/v1/notifications/clear", clear, ["POST"]),
    ("/api/v1/notifications/unread_count", unread_count, ["GET"]),
    ("/api/v1/notifications/{id}", show, ["GET"]),
    ("/api/v1/notifications/{id}/dismiss", dismiss, ["POST"]),
)
