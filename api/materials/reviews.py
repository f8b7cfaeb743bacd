"""``/api/v1/staffroom/materials/:id/reviews``: read, write, edit and withdraw a review.

``POST`` takes ``rating`` (a whole number from 1 to 5) and ``text``;
``PUT`` replaces the caller's own review, ``DELETE`` withdraws it (scope
``write:materials``). Refusals: a rating outside 1..5 or a second review
of the same material is ``422 Validation failed: ...``; a material the
caller cannot see is ``404``, as one that does not exist. ``GET`` lists the
reviews, newest first (token optional, ``read:materials``).
"""

from __future__ import annotations

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import optional_scope, require_user
from api.entities.material import review_entities
from api.errors import ApiError
from api.materials.materials import READ, WRITE, visible_view
from api.params import Params, read_params
from api.routing import api_routes
from api.status_support import NOT_FOUND, node_of, path_id, refused
from content.materials import reviews
from content.materials.ratings import RatingError
from storage.models import Actor, MaterialReview

MAX_LISTED = 200


def _rating(params: Params) -> object:
    raw = (params.get("rating") or "").strip()
    if not raw.lstrip("-").isdigit():
        raise ApiError(422, "Validation failed: rating must be a whole number from 1 to 5")
    return int(raw)


async def _entity(request: Request, row: MaterialReview, reviewer: Actor) -> Response:
    node = node_of(request)
    async with node.sessions() as session:
        return JSONResponse((await review_entities(session, node, [row], [reviewer]))[0])


async def _write(request: Request, *, edit: bool) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request)
    rating, text = _rating(params), params.get("text") or ""
    node = node_of(request)
    action = reviews.edit_review if edit else reviews.write_review
    async with node.sessions() as session:
        try:
            row = await action(
                session, node, user.actor, path_id(request), rating=rating, text=text
            )
        except reviews.ReviewNotFound:
            raise ApiError(404, NOT_FOUND) from None
        except (RatingError, reviews.ReviewError) as exc:
            raise refused(exc) from None
        await session.commit()
    return await _entity(request, row, user.actor)


async def create(request: Request) -> Response:
    return await _write(request, edit=False)


async def update(request: Request) -> Response:
    return await _write(request, edit=True)


async def destroy(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        try:
            await reviews.delete_review(session, node, user.actor, path_id(request))
        except reviews.ReviewNotFound:
            raise ApiError(404, NOT_FOUND) from None
        await session.commit()
    return JSONResponse({})


async def index(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        view = await visible_view(session, path_id(request), viewer)
        rows = list(
            (
                await session.exec(
                    select(MaterialReview)
                    .where(MaterialReview.material_id == view.material.object_id)
                    .order_by(col(MaterialReview.id).desc())
                    .limit(MAX_LISTED)
                )
            ).all()
        )
        ids = {r.reviewer_id for r in rows}
        reviewers = list((await session.exec(select(Actor).where(col(Actor.id).in_(ids)))).all())
        return JSONResponse(await review_entities(session, node, rows, reviewers))


routes = api_routes(
    ("/api/v1/staffroom/materials/{id}/reviews", index, ["GET"]),
    ("/api/v1/staffroom/materials/{id}/reviews", create, ["POST"]),
    ("/api/v1/staffroom/materials/{id}/reviews", update, ["PUT"]),
    ("/api/v1/staffroom/materials/{id}/reviews", destroy, ["DELETE"]),
)
