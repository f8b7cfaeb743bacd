"""Helpers for the statuses, timelines, media and polls API tests: clients, images,
follows made in-process, and the documented key sets every entity must carry."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
from mastodon import Mastodon
from PIL import Image

from tests.support.node import Node

MS_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

STATUS_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "uri": str,
    "created_at": str,
    "account": dict,
    "content": str,
    "visibility": str,
    "sensitive": bool,
    "spoiler_text": str,
    "media_attachments": list,
    "mentions": list,
    "tags": list,
    "emojis": list,
    "reblogs_count": int,
    "favourites_count": int,
    "replies_count": int,
    "favourited": bool,
    "reblogged": bool,
    "muted": bool,
    "bookmarked": bool,
    "pinned": bool,
    "filtered": list,
}
NULLABLE_STATUS_KEYS = {
    "url",
    "in_reply_to_id",
    "in_reply_to_account_id",
    "reblog",
    "poll",
    "card",
    "language",
    "edited_at",
    "application",
}
MEDIA_KEYS = {
    "id",
    "type",
    "url",
    "preview_url",
    "remote_url",
    "meta",
    "description",
    "blurhash",
}
POLL_KEYS = {
    "id",
    "expires_at",
    "expired",
    "multiple",
    "votes_count",
    "voters_count",
    "options",
    "emojis",
    "voted",
    "own_votes",
}


def client(node: Node, name: str, scopes: str = "read write follow") -> Mastodon:
    """Mastodon.py for ``name`` on ``node`` (it reads our instance's version: 4.3.0)."""
    return Mastodon(
        access_token=node.token(name, scopes),
        api_base_url=node.base_url,
        version_check_mode="created",
    )


def raw(node: Node, name: str, scopes: str = "read write follow") -> httpx.Client:
    """An httpx client with ``name``'s bearer token, for what Mastodon.py hides."""
    return httpx.Client(
        base_url=node.base_url,
        headers={"Authorization": f"Bearer {node.token(name, scopes)}"},
        timeout=30,
    )


def check_status(entity: dict[str, Any]) -> None:
    """Every documented key of a Status, with its type; ids strings; ms timestamps."""
    for key, kind in STATUS_KEYS.items():
        assert key in entity, key
        assert isinstance(entity[key], kind), (key, entity[key])
    for key in NULLABLE_STATUS_KEYS:
        assert key in entity, key
    assert MS_TIMESTAMP.match(entity["created_at"]), entity["created_at"]
    assert entity["visibility"] in {"public", "unlisted", "private", "direct"}
    for key in ("in_reply_to_id", "in_reply_to_account_id"):
        assert entity[key] is None or isinstance(entity[key], str)
    for media in entity["media_attachments"]:
        assert set(media) >= MEDIA_KEYS, media
        assert isinstance(media["id"], str)
    for mention in entity["mentions"]:
        assert set(mention) == {"id", "username", "acct", "url"}
    for tag in entity["tags"]:
        assert set(tag) == {"name", "url"}
    if entity["poll"] is not None:
        assert set(entity["poll"]) >= POLL_KEYS
    if entity["reblog"] is not None:
        check_status(entity["reblog"])


def png(
    width: int = 640, height: int = 480, colour: tuple[int, int, int] = (30, 120, 200)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF carries a GPS block (which the node must strip)."""
    image = Image.new("RGB", (320, 240), (200, 60, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def follow(node: Node, follower: str, followee: str) -> None:
    """``follower`` follows ``followee`` (accepted), made in-process on one node."""
    from actors.graph import approve
    from actors.graph import follow as ask
    from actors.local import local_actor_by_name

    async def work(session: Any, ctx: Any) -> None:
        a = await local_actor_by_name(session, follower)
        b = await local_actor_by_name(session, followee)
        assert a is not None and b is not None
        request = await ask(session, ctx, a, b)
        if request.state != "accepted":
            await approve(session, ctx, request)

    node.with_node(work)
