"""Uploaded files, served at ``/media/<dir>/<name>`` from the node's media directory.

Names are ours (an id and a random part, see :mod:`content.media`), so the
route accepts only one or two path segments of safe characters and never a
path that resolves outside ``NodeConfig.media_dir``. Files are immutable once
written, so they may be cached for a long time; ``nosniff`` and a
restrictive CSP keep a browser from running an uploaded file as a page.
Anyone with the URL can fetch a file, as on Mastodon: the random part is what
keeps media of private posts from being found by guessing.
"""

from __future__ import annotations

import mimetypes
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from api.status_support import node_of

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Access-Control-Allow-Origin": "*",
}


async def media_file(request: Request) -> Response:
    path = str(request.path_params["path"])
    segments = path.split("/")
    if not 1 <= len(segments) <= 2 or not all(_SEGMENT.match(s) for s in segments):
        raise HTTPException(404)
    root = node_of(request).config.media_dir.resolve()
    target = root.joinpath(*segments).resolve()
    if root not in target.parents or not target.is_file():
        raise HTTPException(404)
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media_type, headers=_HEADERS)


routes = [Route("/media/{path:path}", media_file, methods=["GET", "HEAD"])]
