"""Avatars and headers: uploaded through ``update_credentials``, stored and served by the node.

An upload is decoded with Pillow and re-encoded, never stored as sent: that
refuses anything that is not really a JPEG, PNG, GIF or WebP image, drops
EXIF metadata (location and camera data in a photo of a classroom), and
crops to the sizes Mastodon uses (avatars 400x400, headers 1500x500).
Animated images keep their first frame. Files live under
``<media_dir>/accounts/<avatars|headers>/`` with an unguessable name and are
served at ``/system/accounts/...``, the path Mastodon uses.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from actors.config import NodeConfig
from api.errors import ApiError
from content import limits
from storage.models import Actor

Kind = Literal["avatars", "headers"]
URL_PREFIX = "/system/accounts"
_NAME_RE = re.compile(r"^[0-9]+-[0-9a-f]{16}\.(png|jpg)$")
_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
_MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


@dataclass(frozen=True)
class _Spec:
    label: str
    size: tuple[int, int]
    max_bytes: int


_SPECS: dict[str, _Spec] = {
    "avatars": _Spec("Avatar", (400, 400), limits.AVATAR_SIZE_LIMIT),
    "headers": _Spec("Header", (1500, 500), limits.HEADER_SIZE_LIMIT),
}


def _directory(config: NodeConfig, kind: Kind) -> Path:
    return Path(config.media_dir) / "accounts" / kind


def _invalid(spec: _Spec, problem: str) -> ApiError:
    return ApiError(422, f"Validation failed: {spec.label} {problem}")


def _process(data: bytes, spec: _Spec) -> tuple[bytes, str]:
    """Decode, check, crop and re-encode; returns (bytes, extension)."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _invalid(spec, "is not a supported image") from None
    if image.format not in _FORMATS:
        raise _invalid(spec, "must be a JPEG, PNG, GIF or WebP image")
    width, height = image.size
    if width * height > limits.IMAGE_MATRIX_LIMIT:
        raise _invalid(spec, "has too many pixels")
    try:
        image.seek(0)
        image = ImageOps.exif_transpose(image) or image
        has_alpha = image.mode in {"RGBA", "LA", "P"} and (
            image.mode != "P" or "transparency" in image.info
        )
        image = image.convert("RGBA" if has_alpha else "RGB")
        image = ImageOps.fit(image, spec.size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if has_alpha:
            image.save(out, "PNG", optimize=True)
            return out.getvalue(), "png"
        image.save(out, "JPEG", quality=88, optimize=True)
        return out.getvalue(), "jpg"
    except (OSError, ValueError, Image.DecompressionBombError):
        raise _invalid(spec, "could not be processed") from None


async def store_profile_image(
    config: NodeConfig, actor: Actor, kind: Kind, upload: UploadFile
) -> str:
    """Validate and store an uploaded avatar or header; returns its public URL."""
    spec = _SPECS[kind]
    data = await upload.read(spec.max_bytes + 1)
    if len(data) > spec.max_bytes:
        megabytes = spec.max_bytes // (1024 * 1024)
        raise _invalid(spec, f"file size must be less than {megabytes} MB")
    if not data:
        raise _invalid(spec, "is empty")
    encoded, extension = await asyncio.to_thread(_process, data, spec)
    name = f"{actor.id}-{secrets.token_hex(8)}.{extension}"
    directory = _directory(config, kind)

    def write() -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(encoded)

    await asyncio.to_thread(write)
    return f"{config.base_url}{URL_PREFIX}/{kind}/{name}"


def remove_replaced(config: NodeConfig, kind: Kind, old_url: str | None) -> None:
    """Delete a previous upload of ours once its replacement is saved (others are left)."""
    prefix = f"{config.base_url}{URL_PREFIX}/{kind}/"
    if not old_url or not old_url.startswith(prefix):
        return
    name = old_url[len(prefix) :]
    if _NAME_RE.match(name):
        (_directory(config, kind) / name).unlink(missing_ok=True)


async def serve(request: Request) -> Response:
    kind = request.path_params["kind"]
    name = request.path_params["name"]
    if kind not in _SPECS or not _NAME_RE.match(name):
        return Response("Not Found", status_code=404, media_type="text/plain")
    config: NodeConfig = request.app.state.node.config
    path = _directory(config, kind) / name
    if not path.is_file():
        return Response("Not Found", status_code=404, media_type="text/plain")
    media_type = _MEDIA_TYPES[name.rsplit(".", 1)[1]]
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


routes = [Route(URL_PREFIX + "/{kind}/{name}", serve, methods=["GET"])]
