"""Media uploads: store a file for its uploader, let them describe it, attach it to a post.

An upload belongs to the local actor who sent it and stays private to them
until a post attaches it (``MediaAttachment.object_id``); from then on it is
part of the post, travels as an AS2 ``Document`` in the post's ``attachment``
(with ``mediaType``, ``name`` = alt text, ``blurhash``, ``width``,
``height`` and ``focalPoint``, as Mastodon sends them), and is changed only
by editing the post.

Images are checked, measured, stripped of metadata and thumbnailed by
:mod:`content.images`; video and audio are kept as sent (this node has no
transcoder), typed by their declared MIME type among the supported ones.
Files are written under ``NodeConfig.media_dir/attachments/`` with a random
part in their name, and served at ``/media/attachments/...``.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from content.images import ImageError, ProcessedImage, preview_extension, process_image
from storage.ids import new_id
from storage.models import Actor, ContentObject, MediaAttachment

#: URL path prefix under which ``media_dir`` is served.
MEDIA_PATH = "/media"
SUBDIR = "attachments"


class MediaError(ValueError):
    """An upload or media change the node refuses; the message is safe to show."""


@dataclass(frozen=True)
class MediaLimits:
    image_types: tuple[str, ...]
    video_types: tuple[str, ...]
    audio_types: tuple[str, ...]
    image_bytes: int
    video_bytes: int
    image_pixels: int
    description_chars: int


def media_url(config: NodeConfig, file_name: str) -> str:
    return f"{config.base_url}{MEDIA_PATH}/{file_name}"


def parse_focus(raw: str | None) -> tuple[float, float] | None:
    """Mastodon's ``focus=x,y`` (each in -1..1); None when absent."""
    if raw is None or not raw.strip():
        return None
    try:
        x, y = (float(part) for part in raw.split(","))
    except ValueError:
        raise MediaError("focus must be two numbers, x,y") from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise MediaError("focus must be between -1 and 1")
    return x, y


def _check_description(description: str | None, limits: MediaLimits) -> str | None:
    if description is None:
        return None
    if len(description) > limits.description_chars:
        raise MediaError(f"description is longer than {limits.description_chars} characters")
    return description


def _write(directory: Path, files: dict[str, bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)


def _size_meta(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


async def _image_row(
    media_id: int, stem: str, data: bytes, limits: MediaLimits
) -> tuple[MediaAttachment, dict[str, bytes]]:
    if len(data) > limits.image_bytes:
        raise MediaError(f"the image is larger than {limits.image_bytes // (1024 * 1024)} MB")
    try:
        done: ProcessedImage = await asyncio.to_thread(
            process_image, data, max_pixels=limits.image_pixels
        )
    except ImageError as exc:
        raise MediaError(str(exc)) from None
    name = f"{stem}.{done.extension}"
    preview = f"{stem}-small.{preview_extension(done.preview)}"
    row = MediaAttachment(
        id=media_id,
        actor_id=0,
        type="image",
        content_type=done.content_type,
        file_name=f"{SUBDIR}/{name}",
        preview_name=f"{SUBDIR}/{preview}",
        file_size=len(done.data),
        meta={
            "original": _size_meta(done.width, done.height),
            "small": _size_meta(done.preview_width, done.preview_height),
        },
        blurhash=done.blurhash,
    )
    return row, {name: done.data, preview: done.preview}


async def store_upload(
    session: AsyncSession,
    node: NodeConfig,
    actor: Actor,
    *,
    data: bytes,
    declared_type: str,
    limits: MediaLimits,
    description: str | None = None,
    focus: tuple[float, float] | None = None,
) -> MediaAttachment:
    """Check, process and store an upload of ``actor``'s; :class:`MediaError` if refused."""
    assert actor.id is not None and actor.local
    description = _check_description(description, limits)
    declared = declared_type.split(";")[0].strip().lower()
    media_id = new_id()
    stem = f"{media_id}-{secrets.token_hex(8)}"
    if declared in limits.video_types or declared in limits.audio_types:
        if len(data) > limits.video_bytes:
            raise MediaError(f"the file is larger than {limits.video_bytes // (1024 * 1024)} MB")
        if not data:
            raise MediaError("the file is empty")
        extension = declared.split("/")[1].replace("quicktime", "mov").replace("mpeg", "mp3")
        name = f"{stem}.{extension}"
        row = MediaAttachment(
            id=media_id,
            actor_id=actor.id,
            type="video" if declared in limits.video_types else "audio",
            content_type=declared,
            file_name=f"{SUBDIR}/{name}",
            file_size=len(data),
            meta={},
        )
        files = {name: data}
    elif declared in limits.image_types or declared in {"", "application/octet-stream"}:
        row, files = await _image_row(media_id, stem, data, limits)
        row.actor_id = actor.id
    else:
        raise MediaError(f"files of type {declared or 'unknown'} are not supported")
    row.description = description
    if focus is not None:
        row.focus_x, row.focus_y = focus
    await asyncio.to_thread(_write, node.media_dir / SUBDIR, files)
    session.add(row)
    await session.flush()
    return row


async def own_upload(
    session: AsyncSession, actor: Actor, media_id: int, *, attached: bool = False
) -> MediaAttachment | None:
    """``actor``'s upload ``media_id``; unattached ones only unless ``attached``."""
    row = await session.get(MediaAttachment, media_id)
    if row is None or row.actor_id != actor.id:
        return None
    if row.object_id is not None and not attached:
        return None
    return row


async def update_upload(
    session: AsyncSession,
    row: MediaAttachment,
    *,
    limits: MediaLimits,
    description: str | None = None,
    focus: tuple[float, float] | None = None,
) -> MediaAttachment:
    """Change an unattached upload's alt text or focal point (None: unchanged)."""
    if description is not None:
        row.description = _check_description(description, limits)
    if focus is not None:
        row.focus_x, row.focus_y = focus
    session.add(row)
    await session.flush()
    return row


async def uploads_for_post(
    session: AsyncSession,
    actor: Actor,
    media_ids: list[int],
    *,
    maximum: int,
    post: ContentObject | None = None,
) -> list[MediaAttachment]:
    """The uploads a new post (or an edit of ``post``) attaches, in the order given.

    Each must be ``actor``'s and unattached, or already attached to ``post``.
    """
    if len(media_ids) > maximum:
        raise MediaError(f"cannot attach more than {maximum} files")
    if not media_ids:
        return []
    rows = await session.exec(
        select(MediaAttachment).where(
            col(MediaAttachment.id).in_(media_ids), MediaAttachment.actor_id == actor.id
        )
    )
    found = {row.id: row for row in rows.all()}
    ordered = []
    for media_id in dict.fromkeys(media_ids):
        row = found.get(media_id)
        usable = row is not None and (
            row.object_id is None or (post is not None and row.object_id == post.id)
        )
        if row is None or not usable:
            raise MediaError(f"media {media_id} is not an upload of yours that can be attached")
        ordered.append(row)
    return ordered


def as2_attachment(config: NodeConfig, row: MediaAttachment) -> dict[str, Any]:
    """The AS2 ``Document`` for an upload, in :mod:`content.as2`'s stored shape."""
    entry: dict[str, Any] = {
        "type": "Document",
        "mediaType": row.content_type,
        "url": media_url(config, row.file_name),
    }
    if row.description:
        entry["name"] = row.description
    if row.blurhash:
        entry["blurhash"] = row.blurhash
    original = row.meta.get("original") or {}
    if isinstance(original.get("width"), int) and isinstance(original.get("height"), int):
        entry["width"], entry["height"] = original["width"], original["height"]
    if row.focus_x is not None and row.focus_y is not None:
        entry["focalPoint"] = [row.focus_x, row.focus_y]
    return entry


async def attach(session: AsyncSession, rows: list[MediaAttachment], obj: ContentObject) -> None:
    """Mark ``rows`` as ``obj``'s media, in order (the post was created or edited with them).

    An upload an edit drops stays attached to the post: the post's history
    still shows it, and it can never be attached elsewhere.
    """
    assert obj.id is not None
    for position, row in enumerate(rows):
        row.object_id, row.position = obj.id, position
        session.add(row)
    await session.flush()


def _unlink(directory: Path, names: list[str]) -> None:
    for name in names:
        (directory / name).unlink(missing_ok=True)


async def release_uploads(
    session: AsyncSession, config: NodeConfig, obj: ContentObject, *, delete_files: bool
) -> None:
    """A deleted post's uploads: detached for a redraft (Mastodon's default), or
    deleted with their files when the author asks (``delete_media``)."""
    rows = list(
        (
            await session.exec(select(MediaAttachment).where(MediaAttachment.object_id == obj.id))
        ).all()
    )
    names = [n for row in rows for n in (row.file_name, row.preview_name) if n]
    for row in rows:
        if delete_files:
            await session.delete(row)
        else:
            row.object_id = None
            session.add(row)
    await session.flush()
    if delete_files:
        await asyncio.to_thread(_unlink, config.media_dir, names)


async def delete_upload(session: AsyncSession, config: NodeConfig, row: MediaAttachment) -> None:
    """Remove an unattached upload and its files (``DELETE /api/v1/media/:id``).

    An attached one belongs to its post and is refused (:class:`MediaError`).
    """
    if row.object_id is not None:
        raise MediaError("Media attachment is currently used by a status")
    names = [n for n in (row.file_name, row.preview_name) if n]
    await session.delete(row)
    await session.flush()
    await asyncio.to_thread(_unlink, config.media_dir, names)


async def remove_unattached(session: AsyncSession, config: NodeConfig, before: datetime) -> int:
    """Delete every upload made before ``before`` that no post attached; returns how many.

    One DELETE ... RETURNING, so two workers sweeping at once each remove
    (and unlink the files of) only the rows they deleted. Nothing is committed.
    """
    result = await session.exec(
        delete(MediaAttachment)
        .where(col(MediaAttachment.object_id).is_(None), col(MediaAttachment.created_at) < before)
        .returning(col(MediaAttachment.file_name), col(MediaAttachment.preview_name))
    )
    rows = list(result.all())
    names = [n for row in rows for n in row if n]
    if names:
        await asyncio.to_thread(_unlink, config.media_dir, names)
    return len(rows)
