"""Avatars and headers: decoded, checked, cropped and stored for a local actor.

An upload is decoded with Pillow and re-encoded, never stored as sent: that
refuses anything that is not really a JPEG, PNG, GIF or WebP image, drops
EXIF metadata (location and camera data in a photo of a classroom), and
crops to the sizes Mastodon uses (avatars 400x400, headers 1500x500).
Animated images keep their first frame. Files live under
``<media_dir>/accounts/<avatars|headers>/`` with an unguessable name and are
served at ``/system/accounts/...`` (``api.profile_images``), the path
Mastodon uses. Shared by ``update_credentials`` and the settings page, so
both refuse the same files with the same words.
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

from actors.config import NodeConfig
from content import limits
from storage.models import Actor

Kind = Literal["avatars", "headers"]
URL_PREFIX = "/system/accounts"
NAME_RE = re.compile(r"^[0-9]+-[0-9a-f]{16}\.(png|jpg)$")
_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


@dataclass(frozen=True)
class _Spec:
    label: str
    size: tuple[int, int]
    max_bytes: int


SPECS: dict[str, _Spec] = {
    "avatars": _Spec("Avatar", (400, 400), limits.AVATAR_SIZE_LIMIT),
    "headers": _Spec("Header", (1500, 500), limits.HEADER_SIZE_LIMIT),
}


def directory(config: NodeConfig, kind: Kind) -> Path:
    return Path(config.media_dir) / "accounts" / kind


class ProfileImageError(ValueError):
    """An avatar or header the node refuses; the message is safe to show (English)."""


def _invalid(spec: _Spec, problem: str) -> ProfileImageError:
    return ProfileImageError(f"{spec.label} {problem}")


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


def max_bytes(kind: Kind) -> int:
    """The largest avatar or header file accepted (read one byte more to tell)."""
    return SPECS[kind].max_bytes


async def store_profile_image(config: NodeConfig, actor: Actor, kind: Kind, data: bytes) -> str:
    """Validate and store an avatar or header; returns its public URL (ProfileImageError)."""
    spec = SPECS[kind]
    if len(data) > spec.max_bytes:
        megabytes = spec.max_bytes // (1024 * 1024)
        raise _invalid(spec, f"file size must be less than {megabytes} MB")
    if not data:
        raise _invalid(spec, "is empty")
    encoded, extension = await asyncio.to_thread(_process, data, spec)
    name = f"{actor.id}-{secrets.token_hex(8)}.{extension}"
    folder = directory(config, kind)

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(encoded)

    await asyncio.to_thread(write)
    return f"{config.base_url}{URL_PREFIX}/{kind}/{name}"


def remove_replaced(config: NodeConfig, kind: Kind, old_url: str | None) -> None:
    """Delete a previous upload of ours once its replacement is saved (others are left)."""
    prefix = f"{config.base_url}{URL_PREFIX}/{kind}/"
    if not old_url or not old_url.startswith(prefix):
        return
    name = old_url[len(prefix) :]
    if NAME_RE.match(name):
        (directory(config, kind) / name).unlink(missing_ok=True)
