"""Polls: ``GET /api/v1/polls/:id`` and ``POST /api/v1/polls/:id/votes``.

A poll's id is its post's id (see :mod:`api.entities.poll`), and a poll is
visible exactly when its post is: anything else is ``404``. Voting takes
``choices[]`` (option indexes) and answers the poll as the voter now sees
it; voting twice, in one's own poll, in an ended poll, for an option that
does not exist or for several in a single-choice poll is ``422``. A vote in
a poll from another server is sent to it the way Mastodon sends votes (see
:mod:`content.polls`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import optional_scope, require_user
from api.entities.poll import is_poll, poll_entity
from api.errors import ApiError
from api.params import read_params
from api.routing import api_routes
from api.status_support import NOT_FOUND, node_of, path_id, readable_status, refused
from content import polls
from content.polls import PollError
from storage.models import Actor, ContentObject


async def _poll(session: AsyncSession, poll_id: int, viewer: Actor | None) -> ContentObject:
    obj = await readable_status(session, poll_id, viewer)
    if not is_poll(obj):
        raise ApiError(404, NOT_FOUND)
    return obj


async def _entity(session: AsyncSession, obj: ContentObject, viewer: Actor | None) -> Response:
    own = await polls.votes_of(session, obj, viewer) if viewer is not None else None
    entity = poll_entity(
        obj, own_votes=own, viewer_is_author=viewer is not None and viewer.id == obj.author_id
    )
    return JSONResponse(entity)


async def show(request: Request) -> Response:
    principal = await optional_scope(request, "read:statuses")
    viewer = principal.actor if principal else None
    async with node_of(request).sessions() as session:
        obj = await _poll(session, path_id(request), viewer)
        return await _entity(session, obj, viewer)


async def vote(request: Request) -> Response:
    user = await require_user(request, "write:statuses")
    raw = (await read_params(request)).get_list("choices")
    if not all(choice.strip().isdigit() for choice in raw):
        raise ApiError(422, "Validation failed: choices must be option indexes")
    node = node_of(request)
    async with node.sessions() as session:
        obj = await _poll(session, path_id(request), user.actor)
        try:
            await polls.vote(
                session,
                user.actor,
                obj,
                [int(choice) for choice in raw],
                totals_window=timedelta(seconds=node.config.events.poll_debounce_seconds),
            )
        except PollError as exc:
            raise refused(exc) from None
        await session.commit()
        return await _entity(session, obj, user.actor)


routes = api_routes(
    ("/api/v1/polls/{id}", show, ["GET"]),
    ("/api/v1/polls/{id}/votes", vote, ["POST"]),
)
