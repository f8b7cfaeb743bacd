"""Acting on accounts: follow, unfollow, block, mute, relationships, follow requests, blocks, mutes.

Each action answers with the ``Relationship`` as it stands after the action,
as Mastodon does. A follow of a remote account reads ``requested: true``
until its server sends the Accept; of a local, unlocked one it becomes
``following`` as soon as our own inbox has processed the Follow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from actors.graph import set_notify
from api import account_queries, graph_actions
from api.auth import require_user
from api.entities.account import account_entities
from api.entities.relationship import relationship_entities, relationship_entity
from api.entities.time import iso_ms_or_none
from api.pagination import account_page, link_header, page_params
from api.params import read_params
from api.routing import api_routes
from storage.models import Actor

Action = Callable[[AsyncSession, NodeContext, Actor, Actor], Awaitable[None]]


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def _act(request: Request, scope: str, action: Action) -> Response:
    user = await require_user(request, scope)
    node = _node(request)
    async with node.sessions() as session:
        target = await account_queries.actor_by_id(session, str(request.path_params["id"]))
        await action(session, node, user.actor, target)
        await session.commit()
        return JSONResponse(await relationship_entity(session, user.actor, target))


async def follow(request: Request) -> Response:
    params = await read_params(request)  # reblogs, languages: accepted, not stored
    notify = params.get_bool("notify") if "notify" in params else None

    async def action(
        session: AsyncSession, node: NodeContext, viewer: Actor, target: Actor
    ) -> None:
        await graph_actions.follow(session, node, viewer, target)
        if notify is not None:
            await set_notify(session, viewer, target, notify)

    return await _act(request, "write:follows", action)


async def unfollow(request: Request) -> Response:
    return await _act(request, "write:follows", graph_actions.unfollow)


async def remove_from_followers(request: Request) -> Response:
    return await _act(request, "write:follows", graph_actions.remove_from_followers)


async def block(request: Request) -> Response:
    return await _act(request, "write:blocks", graph_actions.block)


async def unblock(request: Request) -> Response:
    return await _act(request, "write:blocks", graph_actions.unblock)


async def mute(request: Request) -> Response:
    params = await read_params(request)
    notifications = params.get_bool("notifications", True)
    duration = params.get_int("duration", 0) or 0

    async def action(
        session: AsyncSession, _node: NodeContext, viewer: Actor, target: Actor
    ) -> None:
        await graph_actions.mute(
            session, viewer, target, notifications=notifications, duration=duration
        )

    return await _act(request, "write:mutes", action)


async def unmute(request: Request) -> Response:
    async def action(
        session: AsyncSession, _node: NodeContext, viewer: Actor, target: Actor
    ) -> None:
        await graph_actions.unmute(session, viewer, target)

    return await _act(request, "write:mutes", action)


async def relationships(request: Request) -> Response:
    user = await require_user(request, "read:follows")
    params = await read_params(request)
    async with _node(request).sessions() as session:
        targets = await account_queries.actors_by_ids(session, params.get_list("id")[:100])
        return JSONResponse(await relationship_entities(session, user.actor, targets))


async def follow_requests(request: Request) -> Response:
    user = await require_user(request, "read:follows")
    params = await read_params(request)
    page = page_params(params, default=40, maximum=80)
    node = _node(request)
    async with node.sessions() as session:
        rows = await account_queries.follow_requests(session, user.actor, page)
        return await account_page(request, session, node, rows)


async def _answer(request: Request, *, accept: bool) -> Response:
    user = await require_user(request, "write:follows")
    node = _node(request)
    async with node.sessions() as session:
        requester = await account_queries.actor_by_id(session, str(request.path_params["id"]))
        await graph_actions.answer_request(session, node, user.actor, requester, accept=accept)
        await session.commit()
        return JSONResponse(await relationship_entity(session, user.actor, requester))


async def authorize_request(request: Request) -> Response:
    return await _answer(request, accept=True)


async def reject_request(request: Request) -> Response:
    return await _answer(request, accept=False)


async def blocks(request: Request) -> Response:
    user = await require_user(request, "read:blocks")
    params = await read_params(request)
    page = page_params(params, default=40, maximum=80)
    node = _node(request)
    async with node.sessions() as session:
        rows = await graph_actions.blocked_accounts(session, user.actor, page)
        return await account_page(request, session, node, rows)


async def mutes(request: Request) -> Response:
    """``GET /api/v1/mutes``: MutedAccount entities (an Account plus ``mute_expires_at``)."""
    user = await require_user(request, "read:mutes")
    params = await read_params(request)
    page = page_params(params, default=40, maximum=80)
    node = _node(request)
    async with node.sessions() as session:
        rows = await graph_actions.muted_accounts(session, user.actor, page)
        entities = await account_entities(session, node, [a for _, a in rows])
    for entity, (row, _actor) in zip(entities, rows, strict=True):
        entity["mute_expires_at"] = iso_ms_or_none(row.expires_at)
    return JSONResponse(entities, headers=link_header(request, [row.id for row, _ in rows]))


routes = api_routes(
    ("/api/v1/accounts/relationships", relationships, ["GET"]),
    ("/api/v1/accounts/{id:int}/follow", follow, ["POST"]),
    ("/api/v1/accounts/{id:int}/unfollow", unfollow, ["POST"]),
    ("/api/v1/accounts/{id:int}/remove_from_followers", remove_from_followers, ["POST"]),
    ("/api/v1/accounts/{id:int}/block", block, ["POST"]),
    ("/api/v1/accounts/{id:int}/unblock", unblock, ["POST"]),
    ("/api/v1/accounts/{id:int}/mute", mute, ["POST"]),
    ("/api/v1/accounts/{id:int}/unmute", unmute, ["POST"]),
    ("/api/v1/follow_requests", follow_requests, ["GET"]),
    ("/api/v1/follow_requests/{id:int}/authorize", authorize_request, ["POST"]),
    ("/api/v1/follow_requests/{id:int}/reject", reject_request, ["POST"]),
    ("/api/v1/blocks", blocks, ["GET"]),
    ("/api/v1/mutes", mutes, ["GET"]),
)
