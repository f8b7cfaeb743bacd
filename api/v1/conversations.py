"""``/api/v1/conversations``: direct-message threads (list, mark read, remove).

Scopes as Mastodon's: ``read:statuses`` to list, ``write:conversations`` to
mark read or remove, with a user token. Paged by the id of each
conversation's last post (the ids in the ``Link`` header), as Mastodon does.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api.auth import require_user
from api.entities.conversation import conversation_entity
from api.errors import ApiError
from api.pagination import link_header, page_params
from api.params import read_params
from api.routing import api_routes
from content import conversations
from storage.models import Actor

NOT_FOUND = "Record not found"


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def _find(session: AsyncSession, viewer: Actor, raw_id: str) -> conversations.Conversation:
    try:
        wanted = int(raw_id)
    except ValueError:
        raise ApiError(404, NOT_FOUND) from None
    found = await conversations.conversation_by_id(session, viewer, wanted)
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return found


async def index(request: Request) -> Response:
    user = await require_user(request, "read:statuses")
    page = page_params(await read_params(request), default=20, maximum=40)
    node = _node(request)
    async with node.sessions() as session:
        found = await conversations.conversations(
            session,
            user.actor,
            max_id=page.max_id,
            since_id=page.since_id,
            min_id=page.min_id,
            limit=page.limit,
        )
        body = [await conversation_entity(session, node, c, user.actor) for c in found]
    return JSONResponse(body, headers=link_header(request, [c.last.id for c in found]))


async def read(request: Request) -> Response:
    user = await require_user(request, "write:conversations")
    node = _node(request)
    async with node.sessions() as session:
        found = await _find(session, user.actor, request.path_params["id"])
        await conversations.mark_read(session, user.actor, found)
        await session.commit()
        entity = await conversation_entity(session, node, found, user.actor)
    return JSONResponse(entity)


async def remove(request: Request) -> Response:
    user = await require_user(request, "write:conversations")
    async with _node(request).sessions() as session:
        found = await _find(session, user.actor, request.path_params["id"])
        await conversations.remove(session, user.actor, found)
        await session.commit()
    return JSONResponse({})


routes = api_routes(
    ("/api/v1/conversations", index, ["GET"]),
    ("/api/v1/conversations/{id}", remove, ["DELETE"]),
    ("/api/v1/conversations/{id}/read", read, ["POST"]),
)
