"""Helpers for the accounts, instance and search API tests: Mastodon.py clients, posts,
and the documented key sets every entity must carry."""

from __future__ import annotations

import re
from typing import Any

from mastodon import Mastodon

from tests.support.node import Node

MS_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

ACCOUNT_KEYS = {
    "id": str,
    "username": str,
    "acct": str,
    "url": str,
    "uri": str,
    "display_name": str,
    "note": str,
    "avatar": str,
    "avatar_static": str,
    "header": str,
    "header_static": str,
    "locked": bool,
    "fields": list,
    "emojis": list,
    "bot": bool,
    "group": bool,
    "discoverable": bool,
    "indexable": bool,
    "noindex": bool,
    "suspended": bool,
    "limited": bool,
    "created_at": str,
    "statuses_count": int,
    "followers_count": int,
    "following_count": int,
    "roles": list,
}
NULLABLE_ACCOUNT_KEYS = {"moved", "last_status_at"}
RELATIONSHIP_KEYS = {
    "id": str,
    "following": bool,
    "showing_reblogs": bool,
    "notifying": bool,
    "followed_by": bool,
    "blocking": bool,
    "blocked_by": bool,
    "muting": bool,
    "muting_notifications": bool,
    "requested": bool,
    "requested_by": bool,
    "domain_blocking": bool,
    "endorsed": bool,
    "note": str,
}


def client(node: Node, token: str) -> Mastodon:
    """Mastodon.py against ``node``, with its version check on (it reads our instance)."""
    return Mastodon(access_token=token, api_base_url=node.base_url, version_check_mode="created")


def check_account(entity: dict[str, Any]) -> None:
    """Every documented key of an Account, with its type; timestamps with milliseconds."""
    for key, kind in ACCOUNT_KEYS.items():
        assert key in entity, key
        assert isinstance(entity[key], kind), (key, entity[key])
    for key in NULLABLE_ACCOUNT_KEYS:
        assert key in entity, key
    assert MS_TIMESTAMP.match(entity["created_at"]), entity["created_at"]
    assert entity["created_at"].endswith("T00:00:00.000Z")
    if entity["last_status_at"] is not None:
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", entity["last_status_at"])
    for field in entity["fields"]:
        assert set(field) == {"name", "value", "verified_at"}


def check_relationship(entity: dict[str, Any]) -> None:
    for key, kind in RELATIONSHIP_KEYS.items():
        assert key in entity, key
        assert isinstance(entity[key], kind), (key, entity[key])
    assert "languages" in entity


def post(node: Node, author: str, text: str, visibility: str = "public") -> int:
    """A post by ``author`` made in-process (the statuses API is not what these tests test)."""
    from actors.local import local_actor_by_name
    from content.posts import create_post

    async def work(session: Any, ctx: Any) -> int:
        actor = await local_actor_by_name(session, author)
        obj = await create_post(
            session, ctx, actor, content_text_or_html=text, visibility=visibility
        )
        assert obj.id is not None
        return obj.id

    return node.with_node(work)
