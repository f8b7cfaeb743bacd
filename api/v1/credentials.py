"""``verify_credentials`` and ``update_credentials``: the logged-in account, with its source.

``update_credentials`` takes multipart (with ``avatar`` / ``header`` files),
form or JSON, as apps send all three. Images are validated and stored before
the database transaction opens (decoding takes a moment and must not hold a
write lock); the old image files are removed only after the commit.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api.auth import require_user
from api.entities.account import account_entity
from api.errors import ApiError
from api.params import read_params
from api.profile_changes import apply_profile_changes, parse_profile_changes
from api.profile_images import remove_replaced, store_profile_image
from api.routing import api_routes
from content import limits
from storage.models import Actor

# Both images at their limit plus the text fields and multipart framing.
MAX_UPDATE_BYTES = limits.AVATAR_SIZE_LIMIT + limits.HEADER_SIZE_LIMIT + 256 * 1024


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def verify_credentials(request: Request) -> Response:
    user = await require_user(request, "profile", "read:accounts")
    node = _node(request)
    async with node.sessions() as session:
        return JSONResponse(await account_entity(session, node, user.actor, source=True))


async def update_credentials(request: Request) -> Response:
    user = await require_user(request, "write:accounts")
    node = _node(request)
    params = await read_params(request, max_bytes=MAX_UPDATE_BYTES)
    try:
        changes = parse_profile_changes(params)
        if (avatar := params.file("avatar")) is not None:
            changes.avatar_url = await store_profile_image(
                node.config, user.actor, "avatars", avatar
            )
        if (header := params.file("header")) is not None:
            changes.header_url = await store_profile_image(
                node.config, user.actor, "headers", header
            )
    finally:
        await params.aclose()
    async with node.sessions() as session:
        row = await session.get(Actor, user.actor.id)
        if row is None:
            raise ApiError(404, "Record not found")
        old_avatar, old_header = row.icon_url, row.image_url
        await apply_profile_changes(session, node, row, changes)
        await session.commit()
        if changes.avatar_url is not None:
            remove_replaced(node.config, "avatars", old_avatar)
        if changes.header_url is not None:
            remove_replaced(node.config, "headers", old_header)
        return JSONResponse(await account_entity(session, node, row, source=True))


routes = api_routes(
    ("/api/v1/accounts/verify_credentials", verify_credentials, ["GET"]),
    ("/api/v1/accounts/update_credentials", update_credentials, ["PATCH"]),
)
