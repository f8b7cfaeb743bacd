"""Avatars and headers: uploaded through ``update_credentials``, served by the node.

The checking, cropping and storing is :mod:`content.profile_images` (shared
with the settings page); here are the API's words for a refusal and the
route that serves the files at ``/system/accounts/...``, the path Mastodon uses.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from actors.config import NodeConfig
from api.errors import ApiError
from content import profile_images
from content.profile_images import MEDIA_TYPES, NAME_RE, SPECS, URL_PREFIX, Kind, directory
from content.profile_images import remove_replaced as remove_replaced
from storage.models import Actor


async def store_profile_image(
    config: NodeConfig, actor: Actor, kind: Kind, upload: UploadFile
) -> str:
    """Validate and store an uploaded avatar or header; returns its public URL."""
    data = await upload.read(profile_images.max_bytes(kind) + 1)
    try:
        return await profile_images.store_profile_image(config, actor, kind, data)
    except profile_images.ProfileImageError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from None


async def serve(request: Request) -> Response:
    kind = request.path_params["kind"]
    name = request.path_params["name"]
    if kind not in SPECS or not NAME_RE.match(name):
        return Response("Not Found", status_code=404, media_type="text/plain")
    config: NodeConfig = request.app.state.node.config
    path = directory(config, kind) / name
    if not path.is_file():
        return Response("Not Found", status_code=404, media_type="text/plain")
    media_type = MEDIA_TYPES[name.rsplit(".", 1)[1]]
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


routes = [Route(URL_PREFIX + "/{kind}/{name}", serve, methods=["GET"])]
