"""Reading accounts: get, lookup, search, statuses, followers, following, familiar followers.

Public reads take an optional token (Mastodon's ``authorize_if_got_token!``):
with one, its scope is checked and its account is the viewer whose
permissions decide which statuses show; without one the viewer is a
stranger who sees public and unlisted posts only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api import account_queries
from api.auth import optional_scope, require_user
from api.entities.account import account_entities, account_entity
from api.entities.status import status_entities
from api.errors import ApiError
from api.pagination import account_page, link_header, offset_link_header, page_params
from api.params import read_params
from api.routing import api_routes
from api.search import hidden_from_search
from content.account_posts import StatusFilters, account_statuses
from content.resolve import resolve_account
from storage.models import Actor


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def _viewer(request: Request, scope: str) -> Actor | None:
    principal = await optional_scope(request, scope)
    return principal.actor if principal is not None else None


async def get_account(request: Request) -> Response:
    await optional_scope(request, "read:accounts")
    node = _node(request)
    async with node.sessions() as session:
        actor = await account_queries.actor_by_id(session, str(request.path_params["id"]))
        return JSONResponse(await account_entity(session, node, actor))


async def get_accounts(request: Request) -> Response:
    """``GET /api/v1/accounts?id[]=...`` (4.3): many at once, unknown ids left out."""
    await optional_scope(request, "read:accounts")
    params = await read_params(request)
    node = _node(request)
    async with node.sessions() as session:
        actors = await account_queries.actors_by_ids(session, params.get_list("id")[:40])
        return JSONResponse(await account_entities(session, node, actors))


async def lookup(request: Request) -> Response:
    """``GET /api/v1/accounts/lookup?acct=``: local or known accounts, no network."""
    await optional_scope(request, "read:accounts")
    params = await read_params(request)
    acct = params.get("acct") or ""
    node = _node(request)
    async with node.sessions() as session:
        actor = await account_queries.actor_by_acct(session, node.config.domain, acct)
        if actor is None:
            raise ApiError(404, account_queries.NOT_FOUND)
        return JSONResponse(await account_entity(session, node, actor))


async def search(request: Request) -> Response:
    """``GET /api/v1/accounts/search``: by handle and name; ``resolve`` asks WebFinger."""
    user = await require_user(request, "read:accounts")
    params = await read_params(request)
    query = (params.get("q") or "").strip()
    page = page_params(params, default=40, maximum=80)
    node = _node(request)
    resolved: Actor | None = None
    if params.get_bool("resolve") and "@" in query.lstrip("@") and page.offset == 0:
        resolved = await resolve_account(node, query)
    async with node.sessions() as session:
        following_of = user.actor if params.get_bool("following") else None
        found = await account_queries.search_accounts(
            session, query, limit=page.limit, offset=page.offset, following_of=following_of
        )
        if resolved is not None and await hidden_from_search(session, resolved):
            resolved = None
        if resolved is not None and all(a.id != resolved.id for a in found):
            found = [resolved, *found][: page.limit]
        entities = await account_entities(session, node, found)
    return JSONResponse(entities, headers=offset_link_header(request, page, len(entities)))


async def statuses(request: Request) -> Response:
    viewer = await _viewer(request, "read:statuses")
    params = await read_params(request)
    page = page_params(params)
    filters = StatusFilters(
        only_media=params.get_bool("only_media"),
        exclude_replies=params.get_bool("exclude_replies"),
        exclude_reblogs=params.get_bool("exclude_reblogs"),
        pinned=params.get_bool("pinned"),
        tagged=params.get("tagged") or None,
    )
    node = _node(request)
    async with node.sessions() as session:
        author = await account_queries.actor_by_id(session, str(request.path_params["id"]))
        items = await account_statuses(session, author, viewer, page, filters)
        entities = await status_entities(session, node, items, viewer)
    return JSONResponse(entities, headers=link_header(request, [item.id for item in items]))


async def _follow_list(request: Request, *, incoming: bool) -> Response:
    await optional_scope(request, "read:accounts")
    params = await read_params(request)
    page = page_params(params, default=40, maximum=80)
    node = _node(request)
    async with node.sessions() as session:
        actor = await account_queries.actor_by_id(session, str(request.path_params["id"]))
        lister = account_queries.followers if incoming else account_queries.following
        return await account_page(request, session, node, await lister(session, actor, page))


async def followers(request: Request) -> Response:
    return await _follow_list(request, incoming=True)


async def following(request: Request) -> Response:
    return await _follow_list(request, incoming=False)


async def familiar_followers(request: Request) -> Response:
    """Which of the viewer's follows also follow each account asked about."""
    user = await require_user(request, "read:follows")
    params = await read_params(request)
    node = _node(request)
    async with node.sessions() as session:
        targets = await account_queries.actors_by_ids(session, params.get_list("id")[:40])
        result = []
        for target in targets:
            known = await account_queries.familiar_followers(session, user.actor, target)
            accounts = await account_entities(session, node, known)
            result.append({"id": str(target.id), "accounts": accounts})
    return JSONResponse(result)


routes = api_routes(
    ("/api/v1/accounts", get_accounts, ["GET"]),
    ("/api/v1/accounts/lookup", lookup, ["GET"]),
    ("/api/v1/accounts/search", search, ["GET"]),
    ("/api/v1/accounts/familiar_followers", familiar_followers, ["GET"]),
    ("/api/v1/accounts/{id:int}", get_account, ["GET"]),
    ("/api/v1/accounts/{id:int}/statuses", statuses, ["GET"]),
    ("/api/v1/accounts/{id:int}/followers", followers, ["GET"]),
    ("/api/v1/accounts/{id:int}/following", following, ["GET"]),
)
