"""``GET /api/v2/search``: accounts, statuses and hashtags, optionally resolving remote ones.

Mastodon's rules for strangers hold: without a token, ``resolve`` and
``offset`` are refused with 401 and no statuses are searched. With
``resolve=true`` a ``user@host`` query asks WebFinger and a URL is fetched
(an account or a post); a fetched post is returned only if the searcher may
read it (:mod:`api.search`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api.auth import optional_scope
from api.entities.account import account_entities
from api.entities.status import status_entities
from api.errors import ApiError
from api.params import Params, read_params
from api.routing import api_routes
from api.search import SearchQuery, run_search
from content.formatting import tag_url

TYPES = ("accounts", "statuses", "hashtags")
NO_RESOLVE = "Search queries that resolve remote resources are not supported without authentication"
NO_OFFSET = "Search queries with offset are not supported without authentication"


def tag_entity(node: NodeContext, name: str) -> dict[str, Any]:
    """The ``Tag`` entity for a name found by search (no usage history kept)."""
    return {
        "name": name,
        "url": tag_url(node.config.base_url, name),
        "history": [],
        "following": False,
    }


def parse_query(params: Params, *, signed_in: bool) -> SearchQuery:
    kind = params.get("type") or None
    if kind is not None and kind not in TYPES:
        raise ApiError(422, "Validation failed: type is not included in the list")
    query = SearchQuery(
        text=(params.get("q") or "").strip(),
        kinds=frozenset(TYPES if kind is None else (kind,)),
        limit=max(1, min(params.get_int("limit", 20) or 20, 40)),
        offset=max(0, params.get_int("offset", 0) or 0),
        resolve=params.get_bool("resolve"),
        following=params.get_bool("following"),
        account_id=params.get_int("account_id"),
    )
    if not signed_in and query.resolve:
        raise ApiError(401, NO_RESOLVE)
    if not signed_in and query.offset:
        raise ApiError(401, NO_OFFSET)
    return query


async def search(request: Request) -> Response:
    principal = await optional_scope(request, "read:search")
    viewer = principal.actor if principal is not None else None
    query = parse_query(await read_params(request), signed_in=viewer is not None)
    node: NodeContext = request.app.state.node
    found = await run_search(node, viewer, query)
    async with node.sessions() as session:
        body = {
            "accounts": await account_entities(session, node, found.actors),
            "statuses": await status_entities(session, node, found.posts, viewer),
            "hashtags": [tag_entity(node, name) for name in found.hashtags],
        }
    return JSONResponse(body)


routes = api_routes(("/api/v2/search", search, ["GET"]))
