"""Media uploads: ``POST /api/v2/media`` (and v1); ``GET``, ``PUT``, ``DELETE /api/v1/media/:id``.

An upload is processed while the request waits (images are small work), so
both upload routes answer ``200`` with a complete ``MediaAttachment`` whose
``url`` is already set; an app polling ``GET /api/v1/media/:id`` (as
Mastodon.py's ``synchronous`` mode does) gets the same at once. Until a post
attaches it, the uploader may change its ``description`` (alt text) and
``focus``; after that the media answers ``404`` here, as in Mastodon, and
changes only by editing the post.

``DELETE`` removes an upload no post attached, with its files (Mastodon
4.4's semantics: ``200 {}``; ``422`` once a post uses it; ``404`` for an
upload that is not the caller's). Uploads nobody attaches are removed by a
worker after a day (:mod:`content.media_cleanup`).

Refusals: a body over the largest allowed file is ``413`` before it is read;
an unsupported type, an image that does not decode or is too large, or a
description over the limit is ``422`` with the reason. Scope ``write:media``.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import require_user
from api.entities.media import media_entity
from api.errors import ApiError
from api.params import read_params
from api.routing import api_routes
from api.status_support import NOT_FOUND, node_of, path_id, refused
from content import limits, media
from content.limits import MEDIA_LIMITS
from content.media import MediaError
from storage.models import Actor, MediaAttachment

# The largest file we accept, plus room for the other form fields.
MAX_UPLOAD_BODY = max(limits.VIDEO_SIZE_LIMIT, limits.IMAGE_SIZE_LIMIT) + 64 * 1024


async def upload(request: Request) -> Response:
    user = await require_user(request, "write:media")
    params = await read_params(request, max_bytes=MAX_UPLOAD_BODY)
    try:
        file = params.file("file")
        if file is None:
            raise ApiError(422, "Validation failed: File can't be blank")
        data = await file.read()
        declared = file.content_type or ""
    finally:
        await params.aclose()
    node = node_of(request)
    async with node.sessions() as session:
        try:
            row = await media.store_upload(
                session,
                node.config,
                user.actor,
                data=data,
                declared_type=declared,
                limits=MEDIA_LIMITS,
                description=params.get("description"),
                focus=media.parse_focus(params.get("focus")),
            )
        except MediaError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(media_entity(node.config, row))


async def _own_upload(session: AsyncSession, owner: Actor, request: Request) -> MediaAttachment:
    """The upload named in the path, if it is ``owner``'s; 404 otherwise."""
    row = await media.own_upload(session, owner, path_id(request))
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return row


async def show(request: Request) -> Response:
    user = await require_user(request, "write:media")
    node = node_of(request)
    async with node.sessions() as session:
        row = await _own_upload(session, user.actor, request)
        return JSONResponse(media_entity(node.config, row))


async def update(request: Request) -> Response:
    user = await require_user(request, "write:media")
    params = await read_params(request)
    await params.aclose()  # a new thumbnail is not supported: only text fields are read
    node = node_of(request)
    async with node.sessions() as session:
        row = await _own_upload(session, user.actor, request)
        try:
            await media.update_upload(
                session,
                row,
                limits=MEDIA_LIMITS,
                description=params.get("description"),
                focus=media.parse_focus(params.get("focus")),
            )
        except MediaError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(media_entity(node.config, row))


async def destroy(request: Request) -> Response:
    user = await require_user(request, "write:media")
    node = node_of(request)
    async with node.sessions() as session:
        row = await media.own_upload(session, user.actor, path_id(request), attached=True)
        if row is None:
            raise ApiError(404, NOT_FOUND)
        try:
            await media.delete_upload(session, node.config, row)
        except MediaError as exc:
            raise ApiError(422, str(exc)) from None
        await session.commit()
    return JSONResponse({})


routes = api_routes(
    ("/api/v2/media", upload, ["POST"]),
    ("/api/v1/media", upload, ["POST"]),
    ("/api/v1/media/{id}", show, ["GET"]),
    ("/api/v1/media/{id}", update, ["PUT"]),
    ("/api/v1/media/{id}", destroy, ["DELETE"]),
)
