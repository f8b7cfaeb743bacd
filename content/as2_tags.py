"""A post's ``tag`` list (mentions, hashtags, custom emoji), read and written.

Servers send tags in many shapes and some we do not keep; stored, each is one
flat entry, and an Emoji's icon goes back out as the ``Image`` Mastodon reads.
Both ways live here so that what we send is what we would read back.
"""

from __future__ import annotations

from typing import Any

from content.as2_values import is_web_url, short_text
from federation.vocab import as_list, id_of, type_of, url_of

TAG_TYPES = frozenset({"Mention", "Hashtag", "Emoji"})
MAX_TAGS = 100


def tags_from_as2(doc: dict[str, Any]) -> list[dict[str, Any]]:
    tags: list[dict[str, Any]] = []
    for tag in as_list(doc.get("tag"))[:MAX_TAGS]:
        kind = type_of(tag)
        if kind not in TAG_TYPES:
            continue
        name = short_text(tag.get("name")) or ""
        if kind == "Emoji":
            icon = url_of(tag.get("icon"))
            if name and is_web_url(icon):
                tags.append({"type": kind, "name": name, "icon": icon})
            continue
        href = url_of(tag.get("href")) or id_of(tag)
        entry: dict[str, Any] = {"type": kind, "name": name}
        if is_web_url(href):
            entry["href"] = href
        if name or "href" in entry:
            tags.append(entry)
    return tags


def tags_to_as2(tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = [dict(tag) for tag in tags]
    for tag in out:
        if tag.get("type") == "Emoji" and "icon" in tag:
            tag["icon"] = {"type": "Image", "url": tag["icon"]}
    return out
