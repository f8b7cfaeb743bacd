"""Timelines (home, public, hashtag) and the saved lists (bookmarks, favourites).

Each answers a page of statuses, newest first, with Mastodon's ``max_id`` /
``since_id`` / ``min_id`` / ``limit`` and a ``Link`` header for the next
(older) and previous (newer) pages, which is what ``fetch_next`` and
``fetch_previous`` follow. Who sees what is decided by
:mod:`content.timelines`: a followers-only or direct post only ever appears
to its audience.

Scopes as in Mastodon's documentation: ``read:statuses`` for home (a user
token), none needed for public and hashtag timelines (a token, if sent, must
be valid), ``read:bookmarks`` and ``read:favourites`` for the saved lists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import optional_scope, require_user
from api.entities.status import status_entities
from api.pagination import PageParams, link_header, page_params
from api.params import Params, read_params
from api.routing import api_routes
from api.status_support import node_of
from content import timelines
from content.timelines import Entry
from storage.models import Actor

Lister = Callable[[AsyncSession, Actor | None, PageParams, Params], Awaitable[list[Entry]]]


async def _page(request: Request, viewer: Actor | None, lister: Lister) -> Response:
    params = await read_params(request)
    page = page_params(params)
    node = node_of(request)
    async with node.sessions() as session:
        entries = await lister(session, viewer, page, params)
        entities = await status_entities(session, node, [e.item for e in entries], viewer)
    return JSONResponse(entities, headers=link_header(request, [e.cursor for e in entries]))


def _origin(params: Params) -> bool | None:
    """``local=true``: only ours; ``remote=true``: only others'; neither: both."""
    if params.get_bool("local"):
        return True
    if params.get_bool("remote"):
        return False
    return None


async def _home(s: AsyncSession, viewer: Actor | None, page: PageParams, _p: Params) -> list[Entry]:
    assert viewer is not None
    return await timelines.home(s, viewer, page)


async def _public(
    s: AsyncSession, viewer: Actor | None, page: PageParams, p: Params
) -> list[Entry]:
    return await timelines.public(
        s, viewer, page, local=_origin(p), only_media=p.get_bool("only_media")
    )


async def _bookmarks(
    s: AsyncSession, viewer: Actor | None, page: PageParams, _p: Params
) -> list[Entry]:
    assert viewer is not None
    return await timelines.bookmarks(s, viewer, page)


async def _favourites(
    s: AsyncSession, viewer: Actor | None, page: PageParams, _p: Params
) -> list[Entry]:
    assert viewer is not None
    return await timelines.favourites(s, viewer, page)


async def home(request: Request) -> Response:
    user = await require_user(request, "read:statuses")
    return await _page(request, user.actor, _home)


async def public(request: Request) -> Response:
    principal = await optional_scope(request, "read:statuses")
    return await _page(request, principal.actor if principal else None, _public)


async def tag(request: Request) -> Response:
    principal = await optional_scope(request, "read:statuses")
    name = str(request.path_params["hashtag"])

    async def lister(
        s: AsyncSession, viewer: Actor | None, page: PageParams, p: Params
    ) -> list[Entry]:
        return await timelines.hashtag(
            s, viewer, name, page, local=_origin(p), only_media=p.get_bool("only_media")
        )

    return await _page(request, principal.actor if principal else None, lister)


async def bookmarks(request: Request) -> Response:
    user = await require_user(request, "read:bookmarks")
    return await _page(request, user.actor, _bookmarks)


async def favourites(request: Request) -> Response:
    user = await require_user(request, "read:favourites")
    return await _page(request, user.actor, _favourites)


routes = api_routes(
    ("/api/v1/timelines/home", home, ["GET"]),
    ("/api/v1/timelines/public", public, ["GET"]),
    ("/api/v1/timelines/tag/{hashtag}", tag, ["GET"]),
    ("/api/v1/bookmarks", bookmarks, ["GET"]),
    ("/api/v1/favourites", favourites, ["GET"]),
)
