"""Lists: named subsets of the accounts one follows (``/api/v1/lists``).

The list timeline itself (``/api/v1/timelines/list/:id``) belongs with the
other timelines; it reads :class:`storage.models.ListMember`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api import account_queries, client_state
from api.auth import require_user
from api.entities.account import account_entities
from api.params import Params, read_params
from api.routing import api_routes
from storage.models import UserList


def list_entity(row: UserList) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "title": row.title,
        "replies_policy": row.replies_policy,
        "exclusive": row.exclusive,
    }


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


def _ids(params: Params) -> list[int]:
    return [int(v) for v in params.get_list("account_ids") if v.strip().isdigit()]


async def index(request: Request) -> Response:
    user = await require_user(request, "read:lists")
    async with _node(request).sessions() as session:
        rows = await client_state.lists_of(session, user.actor)
    return JSONResponse([list_entity(row) for row in rows])


async def create(request: Request) -> Response:
    user = await require_user(request, "write:lists")
    params = await read_params(request)
    async with _node(request).sessions() as session:
        row = await client_state.create_list(
            session,
            user.actor,
            params.get("title") or "",
            params.get("replies_policy") or "list",
            params.get_bool("exclusive"),
        )
        await session.commit()
    return JSONResponse(list_entity(row))


async def show(request: Request) -> Response:
    user = await require_user(request, "read:lists")
    async with _node(request).sessions() as session:
        row = await client_state.own_list(session, user.actor, str(request.path_params["id"]))
    return JSONResponse(list_entity(row))


async def update(request: Request) -> Response:
    user = await require_user(request, "write:lists")
    params = await read_params(request)
    async with _node(request).sessions() as session:
        row = await client_state.own_list(session, user.actor, str(request.path_params["id"]))
        await client_state.update_list(
            session,
            row,
            title=params.get("title"),
            replies_policy=params.get("replies_policy"),
            exclusive=params.get_bool("exclusive") if "exclusive" in params else None,
        )
        await session.commit()
    return JSONResponse(list_entity(row))


async def destroy(request: Request) -> Response:
    user = await require_user(request, "write:lists")
    async with _node(request).sessions() as session:
        row = await client_state.own_list(session, user.actor, str(request.path_params["id"]))
        await client_state.delete_list(session, row)
        await session.commit()
    return JSONResponse({})


async def accounts(request: Request) -> Response:
    user = await require_user(request, "read:lists")
    node = _node(request)
    async with node.sessions() as session:
        row = await client_state.own_list(session, user.actor, str(request.path_params["id"]))
        members = await client_state.list_members(session, row)
        return JSONResponse(await account_entities(session, node, members))


async def add_accounts(request: Request) -> Response:
    user = await require_user(request, "write:lists")
    params = await read_params(request)
    async with _node(request).sessions() as session:
        row = await client_state.own_list(session, user.actor, str(request.path_params["id"]))
        await client_state.add_members(session, row, user.actor, _ids(params))
        await session.commit()
    return JSONResponse({})


async def remove_accounts(request: Request) -> Response:
    user = await require_user(request, "write:lists")
    params = await read_params(request)
    async with _node(request).sessions() as session:
        row = await client_state.own_list(session, user.actor, str(request.path_params["id"]))
        await client_state.remove_members(session, row, _ids(params))
        await session.commit()
    return JSONResponse({})


async def account_lists(request: Request) -> Response:
    """``GET /api/v1/accounts/:id/lists``: the viewer's lists holding that account."""
    user = await require_user(request, "read:lists")
    async with _node(request).sessions() as session:
        target = await account_queries.actor_by_id(session, str(request.path_params["id"]))
        rows = await client_state.lists_containing(session, user.actor, target)
    return JSONResponse([list_entity(row) for row in rows])


routes = api_routes(
    ("/api/v1/lists", index, ["GET"]),
    ("/api/v1/lists", create, ["POST"]),
    ("/api/v1/lists/{id:int}", show, ["GET"]),
    ("/api/v1/lists/{id:int}", update, ["PUT"]),
    ("/api/v1/lists/{id:int}", destroy, ["DELETE"]),
    ("/api/v1/lists/{id:int}/accounts", accounts, ["GET"]),
    ("/api/v1/lists/{id:int}/accounts", add_accounts, ["POST"]),
    ("/api/v1/lists/{id:int}/accounts", remove_accounts, ["DELETE"]),
    ("/api/v1/accounts/{id:int}/lists", account_lists, ["GET"]),
)
