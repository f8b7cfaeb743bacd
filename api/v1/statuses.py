"""``/api/v1/statuses``: post, read, edit and delete a status; its source, history and thread.

Reading answers anyone the post is visible to (a token is optional, as in
Mastodon, for public posts); a post the viewer may not read is ``404 Record
not found``, exactly like one that does not exist. Writing needs
``write:statuses`` and acts for the token's account; only the author may
edit or delete (``403 This action is not allowed`` for anyone else who can
see the post).

Parameters come the ways apps send them (form, multipart or JSON, with
``media_ids[]`` and ``poll[options][]``); the draft is checked by
:mod:`content.compose` (character limit, media, poll rules) and refusals are
``422 Validation failed: ...``. ``scheduled_at`` is refused: this node does
not schedule posts.

Deleting answers the post with its typed ``text`` (and its media), for a
redraft: the uploads are detached and can be attached again, unless
``delete_media=true`` asks for them and their files to be deleted too.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.minors import MinorProtectionError
from api.auth import CurrentUser, optional_scope, require_user
from api.entities.status import status_entities, status_entity
from api.entities.status_edit import status_edit_entities, status_source_entity
from api.errors import ApiError
from api.params import Params, read_params
from api.routing import api_routes
from api.status_support import (
    NOT_ALLOWED,
    NOT_FOUND,
    node_of,
    path_id,
    readable_item,
    readable_status,
    refused,
)
from content import compose, edits, threads
from content.compose import ComposeError, ParentNotFoundError, PollDraft
from content.limits import COMPOSE_LIMITS
from content.media import MediaError
from content.posts import InvalidPostError
from storage.models import Visibility

VISIBILITIES = {
    "public": Visibility.PUBLIC,
    "unlisted": Visibility.UNLISTED,
    "private": Visibility.FOLLOWERS,
    "direct": Visibility.DIRECT,
    # Staffroom's (and glitch-soc's idea of) a post that never leaves the node.
    "local": Visibility.LOCAL,
}
DOMAIN_REFUSALS = (ComposeError, MediaError, InvalidPostError, MinorProtectionError)


def _ids(params: Params, name: str) -> list[int]:
    values = [v for v in params.get_list(name) if v.strip()]
    if not all(v.strip().isdigit() for v in values):
        raise ApiError(422, f"Validation failed: {name} must be ids")
    return [int(v) for v in values]


def _poll(params: Params) -> PollDraft | None:
    options = params.get_list("poll[options]")
    if not options and "poll[expires_in]" not in params:
        return None
    return PollDraft(
        options=options,
        expires_in=params.get_int("poll[expires_in]", 86400) or 0,
        multiple=params.get_bool("poll[multiple]"),
        hide_totals=params.get_bool("poll[hide_totals]"),
    )


def _visibility(params: Params) -> Visibility | None:
    """The asked visibility; None (not given) lets the domain pick the author's default."""
    raw = (params.get("visibility") or "").strip().lower()
    if params.get_bool("local_only") and raw in ("", "public", "unlisted", "private"):
        return Visibility.LOCAL
    if not raw:
        return None
    if raw not in VISIBILITIES:
        raise ApiError(422, "Validation failed: Visibility is not included in the list")
    return VISIBILITIES[raw]


def _draft(request: Request, params: Params, user: CurrentUser) -> compose.Draft:
    if params.get("scheduled_at"):
        raise ApiError(422, "Validation failed: Scheduled posts are not supported on this server")
    reply_to = params.get("in_reply_to_id")
    if reply_to and not reply_to.isdigit():
        raise ApiError(404, NOT_FOUND)
    return compose.Draft(
        text=params.get("status") or "",
        visibility=_visibility(params),
        spoiler_text=params.get("spoiler_text") or None,
        sensitive=params.get_bool("sensitive"),
        language=params.get("language") or None,
        in_reply_to_id=int(reply_to) if reply_to else None,
        media_ids=_ids(params, "media_ids"),
        poll=_poll(params),
        idempotency_key=request.headers.get("idempotency-key"),
        app_id=user.principal.app_id,
    )


async def create(request: Request) -> Response:
    user = await require_user(request, "write:statuses")
    draft = _draft(request, await read_params(request), user)
    node = node_of(request)
    async with node.sessions() as session:
        try:
            obj = await compose.post_status(session, node, user.actor, draft, COMPOSE_LIMITS)
        except ParentNotFoundError:
            raise ApiError(404, NOT_FOUND) from None
        except DOMAIN_REFUSALS as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await status_entity(session, node, obj, user.actor))


async def show(request: Request) -> Response:
    principal = await optional_scope(request, "read:statuses")
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        item = await readable_item(session, path_id(request), viewer)
        return JSONResponse(await status_entity(session, node, item, viewer))


async def delete(request: Request) -> Response:
    user = await require_user(request, "write:statuses")
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        obj = await readable_status(session, path_id(request), user.actor)
        if obj.author_id != user.actor.id:
            raise ApiError(403, NOT_ALLOWED)
        entity = await status_entity(session, node, obj, user.actor)
        entity["text"] = await edits.source_text(session, obj)
        await compose.delete_status(
            session, node, user.actor, obj, delete_media=params.get_bool("delete_media")
        )
        await session.commit()
    return JSONResponse(entity)


async def update(request: Request) -> Response:
    user = await require_user(request, "write:statuses")
    params = await read_params(request)
    edit = compose.Edit(
        text=params.get("status") or "",
        spoiler_text=params.get("spoiler_text"),
        sensitive=params.get_bool("sensitive") if "sensitive" in params else None,
        language=params.get("language") or None,
        media_ids=_ids(params, "media_ids") if "media_ids" in params else None,
        poll=_poll(params),
    )
    node = node_of(request)
    async with node.sessions() as session:
        obj = await readable_status(session, path_id(request), user.actor)
        if obj.author_id != user.actor.id:
            raise ApiError(403, NOT_ALLOWED)
        try:
            await compose.edit_status(session, node, user.actor, obj, edit, COMPOSE_LIMITS)
        except DOMAIN_REFUSALS as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await status_entity(session, node, obj, user.actor))


async def source(request: Request) -> Response:
    user = await require_user(request, "read:statuses")
    node = node_of(request)
    async with node.sessions() as session:
        obj = await readable_status(session, path_id(request), user.actor)
        if obj.author_id != user.actor.id:
            raise ApiError(403, NOT_ALLOWED)
        return JSONResponse(status_source_entity(obj, await edits.source_text(session, obj)))


async def history(request: Request) -> Response:
    principal = await optional_scope(request, "read:statuses")
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        obj = await readable_status(session, path_id(request), viewer)
        versions = await edits.history(session, obj)
        return JSONResponse(await status_edit_entities(session, node, obj, versions))


async def context(request: Request) -> Response:
    principal = await optional_scope(request, "read:statuses")
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        obj = await readable_status(session, path_id(request), viewer)
        above = await threads.ancestors(session, obj, viewer)
        below = await threads.descendants(session, obj, viewer)
        return JSONResponse(
            {
                "ancestors": await status_entities(session, node, above, viewer),
                "descendants": await status_entities(session, node, below, viewer),
            }
        )


routes = api_routes(
    ("/api/v1/statuses", create, ["POST"]),
    ("/api/v1/statuses/{id}", show, ["GET"]),
    ("/api/v1/statuses/{id}", delete, ["DELETE"]),
    ("/api/v1/statuses/{id}", update, ["PUT"]),
    ("/api/v1/statuses/{id}/source", source, ["GET"]),
    ("/api/v1/statuses/{id}/history", history, ["GET"]),
    ("/api/v1/statuses/{id}/context", context, ["GET"]),
)
