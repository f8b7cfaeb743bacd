"""A status's ``mentions``, ``tags`` and ``emojis``: the lists apps build from a post's tags.

Stored tags are AS2 entries (:mod:`content.as2_tags`), and apps want each kind
in its own Mastodon shape; a mention is shown only for an actor we know, and
each person or hashtag once.
"""

from __future__ import annotations

from typing import Any

from actors.context import NodeContext
from api.entities.account import acct_of
from content.formatting import tag_url
from storage.models import Actor, ContentObject


def mention_entities(obj: ContentObject, mentioned: dict[str, Actor]) -> list[dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for tag in obj.tags:
        if tag.get("type") != "Mention":
            continue
        actor = mentioned.get(str(tag.get("href")))
        if actor is None or actor.id is None or actor.id in found:
            continue
        found[actor.id] = {
            "id": str(actor.id),
            "username": actor.username,
            "acct": acct_of(actor),
            "url": actor.url or actor.ap_id,
        }
    return list(found.values())


def tag_entities(node: NodeContext, obj: ContentObject) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for tag in obj.tags:
        name = str(tag.get("name") or "").lstrip("#")
        if tag.get("type") == "Hashtag" and name and name.lower() not in seen:
            seen[name.lower()] = {"name": name, "url": tag_url(node.config.base_url, name)}
    return list(seen.values())


def emoji_entities(obj: ContentObject) -> list[dict[str, Any]]:
    return [
        {
            "shortcode": str(tag["name"]).strip(":"),
            "url": tag["icon"],
            "static_url": tag["icon"],
            "visible_in_picker": False,
        }
        for tag in obj.tags
        if tag.get("type") == "Emoji" and tag.get("name") and tag.get("icon")
    ]
