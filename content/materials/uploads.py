"""Uploaded files made ready to keep: typed from their bytes, cleaned, named, digested.

:func:`prepare` does the CPU work (type detection, the zip checks, image
re-encoding without its metadata, the PDF preview) in a worker thread and
refuses a file with a reason that names it. Nothing is written here: the
caller writes the prepared bytes through :mod:`.files` only once every file
of the material has passed.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass

from actors.config import MaterialConfig
from content.images import ImageError, process_image
from content.materials.archives import ArchiveLimits
from content.materials.detect import PDF, FileRefused, FileType, detect
from content.materials.files import digest_of
from content.materials.preview import Preview, PreviewError, image_preview, pdf_first_page

#: The largest image canvas accepted in a material (as for media uploads).
MAX_IMAGE_PIXELS = 33_177_600
MAX_NAME = 200
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_EXTENSION_ALIASES = {"jpg": {"jpg", "jpeg"}, "mov": {"mov", "qt"}, "ogv": {"ogv", "ogg"}}


class UploadRefused(ValueError):
    """A file refused; the message names it and says why (safe to show)."""


@dataclass(frozen=True)
class Upload:
    """A file as the client sent it: the name is only a label, never trusted for the type."""

    name: str
    data: bytes


@dataclass(frozen=True)
class PreparedFile:
    name: str
    data: bytes
    file_type: FileType
    digest: str
    preview: Preview | None


def safe_name(name: str, file_type: FileType) -> str:
    """The name shown and offered on download: no path, no control characters,
    and an extension that says what the file really is."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")[:MAX_NAME]
    if not base.strip("_"):
        base = "file"
    _stem, dot, extension = base.rpartition(".")
    allowed = _EXTENSION_ALIASES.get(file_type.extension, {file_type.extension})
    if dot and extension.lower() in allowed:
        return base
    return f"{base}.{file_type.extension}"


def _prepare_one(upload: Upload, limits: MaterialConfig) -> PreparedFile:
    label = (upload.name or "file")[:MAX_NAME]
    if len(upload.data) > limits.max_file_bytes:
        size = limits.max_file_bytes / (1024 * 1024)
        raise UploadRefused(f"{label}: the file is larger than {size:.0f} MB")
    try:
        file_type = detect(
            upload.data, ArchiveLimits(limits.max_unpacked_bytes, limits.max_zip_ratio)
        )
    except FileRefused as exc:
        raise UploadRefused(f"{label}: {exc}") from None
    data, preview = upload.data, None
    if file_type.mastodon_type == "image":
        try:
            image = process_image(upload.data, max_pixels=MAX_IMAGE_PIXELS)
        except ImageError as exc:
            raise UploadRefused(f"{label}: {exc}") from None
        data = image.data  # re-encoded without its metadata (a photo's GPS position)
        preview = image_preview(image.preview, image.preview_width, image.preview_height)
    elif file_type == PDF:
        try:
            preview = pdf_first_page(upload.data)
        except PreviewError as exc:
            raise UploadRefused(f"{label}: {exc}") from None
    return PreparedFile(safe_name(label, file_type), data, file_type, digest_of(data), preview)


async def prepare(uploads: list[Upload], limits: MaterialConfig) -> list[PreparedFile]:
    """Every upload checked and prepared, in order; :class:`UploadRefused` for the first bad one."""
    if len(uploads) > limits.max_files:
        raise UploadRefused(f"a material may have at most {limits.max_files} files")
    prepared = []
    for upload in uploads:
        prepared.append(await asyncio.to_thread(_prepare_one, upload, limits))
    return prepared


def first_preview(files: list[PreparedFile]) -> Preview | None:
    """The material's preview: the first PDF's first page or image, in file order."""
    return next((f.preview for f in files if f.preview is not None), None)
