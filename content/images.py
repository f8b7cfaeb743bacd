"""Image work for uploads, with Pillow: validate, measure, strip, thumbnail, blurhash.

Pure functions over bytes (no database, no files), run in a worker thread by
:mod:`content.media` because decoding is CPU work.

Why each step:

* The real format is sniffed from the bytes, never taken from the upload's
  ``Content-Type``: a "PNG" that Pillow cannot decode is refused.
* Dimensions are checked *before* decoding the pixels, so a small file that
  claims a gigantic canvas (a decompression bomb) is refused cheaply.
* The stored original is re-encoded without its metadata: a phone photo's
  EXIF carries GPS coordinates, and on a school's node that is a child's home.
  The EXIF orientation is applied first, so the picture still stands upright.
* The thumbnail ("small") fits Mastodon's preview area (about 640x360) and is
  what the blurhash is computed from (cheap, and the hash is blurry anyway).
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import blurhash
from PIL import Image, ImageOps, UnidentifiedImageError

#: Pillow format → (MIME type, file extension) for the images we keep.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
PREVIEW_AREA = 640 * 360
BLURHASH_COMPONENTS = (4, 3)


class ImageError(ValueError):
    """An upload that is not an image we accept; the message is safe to show."""


@dataclass(frozen=True)
class ProcessedImage:
    content_type: str
    extension: str
    data: bytes
    width: int
    height: int
    preview: bytes
    preview_width: int
    preview_height: int
    blurhash: str | None


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("the file is not an image this node accepts") from None
    if image.format not in FORMATS:
        raise ImageError("the file is not an image this node accepts")
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise ImageError(f"the image is larger than {max_pixels} pixels")
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=90)
    else:
        image.save(out, fmt, optimize=True)
    return out.getvalue()


def _preview(image: Image.Image) -> Image.Image:
    width, height = image.size
    scale = min(1.0, math.sqrt(PREVIEW_AREA / (width * height)))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = image.convert("RGBA" if image.mode in {"RGBA", "LA", "P"} else "RGB")
    return small.resize(size, Image.Resampling.LANCZOS) if scale < 1.0 else small


def _hash(image: Image.Image) -> str | None:
    try:
        x, y = BLURHASH_COMPONENTS
        return str(blurhash.encode(image.convert("RGB"), x_components=x, y_components=y))
    except Exception:  # a hash is a nicety; never fail an upload over it
        return None


def process_image(data: bytes, *, max_pixels: int) -> ProcessedImage:
    """Validate and prepare an uploaded image; :class:`ImageError` if it is refused."""
    image = _open(data, max_pixels)
    fmt = str(image.format)
    content_type, extension = FORMATS[fmt]
    try:
        animated = bool(getattr(image, "is_animated", False))
        if animated:
            # Re-encoding an animation frame by frame is not worth it; GIF/WebP
            # animations carry no EXIF location, so keep the bytes as sent.
            original, first = data, image.copy()
        else:
            image.load()
            first = ImageOps.exif_transpose(image) or image
            original = _encode(first, fmt)
        width, height = first.size
        small = _preview(first)
        preview_bytes = _encode(small, "PNG" if small.mode == "RGBA" else "JPEG")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError("the image could not be processed") from exc
    return ProcessedImage(
        content_type=content_type,
        extension=extension,
        data=original,
        width=width,
        height=height,
        preview=preview_bytes,
        preview_width=small.size[0],
        preview_height=small.size[1],
        blurhash=_hash(small),
    )


def preview_extension(preview: bytes) -> str:
    return "png" if preview.startswith(b"\x89PNG") else "jpg"
