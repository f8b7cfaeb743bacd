"""What an account does to a status (favourite, reblog, bookmark, pin), and who did.

Each action answers with the status as the actor now sees it (counts and
``favourited`` / ``reblogged`` / ``bookmarked`` / ``pinned`` updated); a
reblog answers with the new reblog status wrapping the original, an
unreblog with the original, as Mastodon does. Doing an action twice is doing
it once; undoing what was not done is not an error.

Only a post the actor may read can be acted on (``404`` otherwise, as if it
did not exist); only public and unlisted posts can be reblogged (``403``);
only one's own posts can be pinned (``422``). Scopes as in Mastodon's
documentation: ``write:favourites``, ``write:statuses`` (reblogs),
``write:bookmarks``, ``write:accounts`` (pins).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api.auth import optional_scope, require_user
from api.entities.status import status_entity
from api.errors import ApiError
from api.pagination import account_page, page_params
from api.params import read_params
from api.routing import api_routes
from api.status_support import NOT_ALLOWED, node_of, path_id, readable_status, refused
from content import bookmarks, interaction_lists, interactions, limits, pins
from content.interactions import InteractionError
from content.pins import PinError
from storage.models import Actor, Announce, ContentObject

Action = Callable[[AsyncSession, NodeContext, Actor, ContentObject], Awaitable[object]]


async def _act(request: Request, scope: str, action: Action) -> Response:
    """Authenticate, find the readable post, do ``action``, answer with the post."""
    user = await require_user(request, scope)
    node = node_of(request)
    async with node.sessions() as session:
        obj = await readable_status(session, path_id(request), user.actor)
        try:
            result = await action(session, node, user.actor, obj)
        except InteractionError:
            raise ApiError(403, NOT_ALLOWED) from None
        except PinError as exc:
            raise refused(exc) from None
        await session.commit()
        shown = result if isinstance(result, Announce) else obj
        return JSONResponse(await status_entity(session, node, shown, user.actor))


async def _bookmark(
    session: AsyncSession, _n: NodeContext, actor: Actor, obj: ContentObject
) -> None:
    await bookmarks.bookmark(session, actor, obj)


async def _unbookmark(
    session: AsyncSession, _n: NodeContext, actor: Actor, obj: ContentObject
) -> None:
    await bookmarks.unbookmark(session, actor, obj)


async def _pin(session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject) -> None:
    await pins.pin(session, node, actor, obj, maximum=limits.MAX_PINNED_STATUSES)


async def _unlike(
    session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject
) -> None:
    await interactions.unlike(session, node, actor, obj)


async def _unannounce(
    session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject
) -> None:
    await interactions.unannounce(session, node, actor, obj)


async def favourite(request: Request) -> Response:
    return await _act(request, "write:favourites", interactions.like)


async def unfavourite(request: Request) -> Response:
    return await _act(request, "write:favourites", _unlike)


async def reblog(request: Request) -> Response:
    return await _act(request, "write:statuses", interactions.announce)


async def unreblog(request: Request) -> Response:
    return await _act(request, "write:statuses", _unannounce)


async def bookmark(request: Request) -> Response:
    return await _act(request, "write:bookmarks", _bookmark)


async def unbookmark(request: Request) -> Response:
    return await _act(request, "write:bookmarks", _unbookmark)


async def pin(request: Request) -> Response:
    return await _act(request, "write:accounts", _pin)


async def unpin(request: Request) -> Response:
    return await _act(request, "write:accounts", pins.unpin)


async def _who(request: Request, *, boosts: bool) -> Response:
    principal = await optional_scope(request, "read:accounts")
    viewer = principal.actor if principal else None
    page = page_params(await read_params(request), default=40, maximum=80)
    node = node_of(request)
    async with node.sessions() as session:
        obj = await readable_status(session, path_id(request), viewer)
        lister = interaction_lists.boosters if boosts else interaction_lists.likers
        return await account_page(request, session, node, await lister(session, obj, page))


async def favourited_by(request: Request) -> Response:
    return await _who(request, boosts=False)


async def reblogged_by(request: Request) -> Response:
    return await _who(request, boosts=True)


routes = api_routes(
    ("/api/v1/statuses/{id}/favourite", favourite, ["POST"]),
    ("/api/v1/statuses/{id}/unfavourite", unfavourite, ["POST"]),
    ("/api/v1/statuses/{id}/reblog", reblog, ["POST"]),
    ("/api/v1/statuses/{id}/unreblog", unreblog, ["POST"]),
    ("/api/v1/statuses/{id}/bookmark", bookmark, ["POST"]),
    ("/api/v1/statuses/{id}/unbookmark", unbookmark, ["POST"]),
    ("/api/v1/statuses/{id}/pin", pin, ["POST"]),
    ("/api/v1/statuses/{id}/unpin", unpin, ["POST"]),
    ("/api/v1/statuses/{id}/favourited_by", favourited_by, ["GET"]),
    ("/api/v1/statuses/{id}/reblogged_by", reblogged_by, ["GET"]),
)
