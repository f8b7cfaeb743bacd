"""Static files with cache-busting names: ``/static/style.<digest>.css``.

Every file under ``web/static`` is hashed once at start; pages link the
hashed name (the templates' ``static('style.css')``), served with a year's
``immutable`` caching, so a new release is fetched at once and an old one
never again. A name with a digest that is not the current one is a 404, so a
stale page cannot pin an old script.
"""

from __future__ import annotations

import functools
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    path: Path
    url: str
    media_type: str


def hashed_name(name: str, digest: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


@functools.cache
def assets() -> dict[str, Asset]:
    """Logical name → asset, for every file in the static folder."""
    found: dict[str, Asset] = {}
    for path in sorted(STATIC_DIR.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(STATIC_DIR).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type.endswith("javascript"):
            media_type += "; charset=utf-8"
        found[name] = Asset(path, f"/static/{hashed_name(name, digest)}", media_type)
    return found


@functools.cache
def _by_url() -> dict[str, Asset]:
    return {asset.url: asset for asset in assets().values()}


def static_url(name: str) -> str:
    return assets()[name].url


async def static_file(request: Request) -> Response:
    asset = _by_url().get(request.url.path)
    if asset is None:
        return Response("not found", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    body = b"" if request.method == "HEAD" else asset.path.read_bytes()
    return Response(body, media_type=asset.media_type, headers=headers)


routes = [Route("/static/{path:path}", static_file, methods=["GET", "HEAD"])]
