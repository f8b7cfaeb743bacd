"""The Mastodon ``MediaAttachment`` entity, for uploads and for a post's attachments.

Two sources: our own uploads (:class:`storage.models.MediaAttachment` rows,
with their thumbnail, dimensions and blurhash), and the AS2 ``attachment``
entries of any post (``ContentObject.attachments``; see :mod:`content.as2`),
which is all we know of a remote post's media. A remote attachment has no
row, so its id is derived from the post's id and its position: stable across
requests, and never colliding with an upload's id (those are single ids, the
derived ones are longer).

Remote files are shown from where they live (``remote_url`` = ``url``): this
node does not copy remote media.
"""

from __future__ import annotations

from typing import Any

from actors.config import NodeConfig
from content.media import media_url
from storage.models import ContentObject, MediaAttachment


def _focus(x: float | None, y: float | None) -> dict[str, float] | None:
    if x is None or y is None:
        return None
    return {"x": x, "y": y}


def media_entity(config: NodeConfig, row: MediaAttachment) -> dict[str, Any]:
    """The entity for one of our uploads (attached or not)."""
    meta = dict(row.meta)
    focus = _focus(row.focus_x, row.focus_y)
    if focus is not None:
        meta["focus"] = focus
    url = media_url(config, row.file_name)
    preview = media_url(config, row.preview_name) if row.preview_name else None
    return {
        "id": str(row.id),
        "type": row.type,
        "url": url,
        "preview_url": preview,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": row.description,
        "blurhash": row.blurhash,
    }


def kind_of(media_type: str | None, as2_type: str | None = None) -> str:
    """Mastodon's attachment type from a MIME type (or, lacking one, the AS2 type)."""
    major = (media_type or "").split("/")[0].lower()
    if media_type == "image/gif":
        return "image"
    if major in {"image", "video", "audio"}:
        return major
    return {"Image": "image", "Video": "video", "Audio": "audio"}.get(as2_type or "", "unknown")


def dimensions_meta(width: int | None, height: int | None) -> dict[str, Any]:
    """``{"width", "height", "size", "aspect"}`` as Mastodon's ``meta.original`` has it."""
    if not width or not height:
        return {}
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def remote_attachment_entity(
    obj: ContentObject, index: int, item: dict[str, Any]
) -> dict[str, Any]:
    """The entity for an AS2 attachment we hold no upload row for (a remote post's media)."""
    url = item.get("url")
    kind = kind_of(item.get("mediaType"), item.get("type"))
    meta: dict[str, Any] = {}
    original = dimensions_meta(item.get("width"), item.get("height"))
    if original:
        meta["original"] = original
    focal = item.get("focalPoint")
    if isinstance(focal, list) and len(focal) == 2:
        meta["focus"] = {"x": focal[0], "y": focal[1]}
    return {
        "id": f"{obj.id}{index:03d}",
        "type": kind,
        "url": url,
        "preview_url": url if kind == "image" else None,
        "remote_url": url,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": item.get("name"),
        "blurhash": item.get("blurhash"),
    }


def attachment_entities(
    config: NodeConfig, obj: ContentObject, uploads: list[MediaAttachment]
) -> list[dict[str, Any]]:
    """A post's ``media_attachments``: its AS2 attachments in order, our uploads
    recognised by URL (so they keep their id, thumbnail and focus)."""
    by_url = {media_url(config, row.file_name): row for row in uploads}
    entities = []
    for index, item in enumerate(obj.attachments):
        if item.get("type") == "Link":
            continue  # a link is not media (PeerTube lists its pages as Links)
        row = by_url.get(str(item.get("url")))
        if row is not None:
            entity = media_entity(config, row)
            # The post's version wins: an edit may have changed the description.
            entity["description"] = item.get("name", entity["description"])
            entities.append(entity)
        else:
            entities.append(remote_attachment_entity(obj, index, item))
    return entities
