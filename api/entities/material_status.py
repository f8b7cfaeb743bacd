"""A material as a Mastodon ``Status``: what apps show of it.

Mastodon apps know no materials, so :mod:`api.entities.status` renders one
through here: the title and summary as the text, the files and links as
links under them, and as media attachments the preview and any file
Mastodon has a type for (image, audio, video). The summary is not a content
warning (``spoiler_text`` stays empty).
"""

from __future__ import annotations

import html
from typing import Any

from api.entities.media import dimensions_meta, kind_of
from content.materials.as2 import human_size
from storage.models import ContentObject


def status_content(obj: ContentObject) -> str:
    """Title, summary, then the files and links as links: what a Mastodon app shows."""
    parts = [f"<p><strong>{html.escape(obj.name or '', quote=False)}</strong></p>"]
    if obj.summary:
        parts.append(f"<p>{html.escape(obj.summary, quote=False)}</p>")
    items = []
    for item in obj.attachments:
        url, name = item.get("url") or item.get("href"), item.get("name") or ""
        if item.get("type") not in ("Document", "Link") or not isinstance(url, str):
            continue
        size = human_size(item["size"]) if isinstance(item.get("size"), int) else ""
        label = html.escape(str(name), quote=False) + (f" ({size})" if size else "")
        items.append(f'<a href="{html.escape(url)}" rel="nofollow noopener noreferrer">{label}</a>')
    if items:
        parts.append("<p>" + "<br>".join(items) + "</p>")
    return "".join(parts)


def status_attachments(obj: ContentObject) -> list[dict[str, Any]]:
    """The preview and the files Mastodon has a type for (image, audio, video)."""
    out = []
    for index, item in enumerate(obj.attachments):
        kind = kind_of(item.get("mediaType"), item.get("type"))
        url = item.get("url")
        if kind == "unknown" or item.get("type") == "Link" or not isinstance(url, str):
            continue
        meta: dict[str, Any] = {}
        original = dimensions_meta(item.get("width"), item.get("height"))
        if original:
            meta["original"] = original
        out.append(
            {
                "id": f"{obj.id}{index:03d}",
                "type": kind,
                "url": url,
                "preview_url": url if kind == "image" else None,
                "remote_url": None if obj.local else url,
                "preview_remote_url": None,
                "text_url": None,
                "meta": meta,
                "description": item.get("name"),
                "blurhash": item.get("blurhash"),
            }
        )
    return out


def is_material_object(obj: ContentObject) -> bool:
    return obj.type == "Article" and isinstance(obj.extra.get("materialType"), str)
