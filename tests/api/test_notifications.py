"""Notifications and conversations through Mastodon.py, with the actions taken on another node.

Two real nodes on loopback: alice and carol on node A (the module's
database kind), bob on node B. Bob acts through the ActivityPub C2S outbox
of his own node, so everything alice is told travelled over real federation
(signed deliveries, the inbox worker); alice reads with Mastodon.py, the
real client library. Tests run in order and build on each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError
from sqlmodel import select

from federation.constants import PUBLIC
from storage.models import Activity, Actor, ContentObject, Follow
from tests.support.node import Node, alice_carol_and_bob, wait_until

AS = "application/activity+json"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@dataclass
class World:
    a: Node
    b: Node
    tokens: dict[str, str]
    posts: dict[str, str]  # label -> object id (AP)

    def id_of(self, name: str) -> str:
        node = self.b if name == "bob" else self.a
        return f"{node.base_url}/users/{name}"

    def client(self, name: str) -> Mastodon:
        return Mastodon(
            access_token=self.tokens[name],
            api_base_url=self.a.base_url,
            version_check_mode="none",
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_db_kind: str) -> Iterator[World]:
    with alice_carol_and_bob(tmp_path_factory.mktemp("notifications"), module_db_kind) as (
        a,
        b,
        tokens,
    ):
        yield World(a, b, tokens, {})


# --- helpers ---------------------------------------------------------------------------


def c2s(world: World, name: str, doc: dict[str, Any]) -> str:
    """``name`` acts through their own node's C2S outbox; returns the object's id."""
    node = world.b if name == "bob" else world.a
    r = httpx.post(
        f"{node.base_url}/users/{name}/outbox",
        json=doc,
        headers={"Authorization": f"Bearer {world.tokens[name]}", "Content-Type": AS},
        timeout=20,
    )
    assert r.status_code == 201, r.text
    (row,) = query(node, select(Activity).where(Activity.ap_id == r.headers["location"]))
    obj = row.body["object"]
    return str(obj["id"] if isinstance(obj, dict) else obj)


def query(node: Node, statement: Any) -> list[Any]:
    async def run(session: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    return node.with_session(run)


def local_id(node: Node, ap_id: str) -> str:
    """The API id (on ``node``) of an object or actor known by its AP id."""
    for model in (ContentObject, Actor):
        rows = query(node, select(model).where(model.ap_id == ap_id))
        if rows:
            return str(rows[0].id)
    raise AssertionError(f"{ap_id} is not on {node.base_url}")


def note(world: World, author: str, text: str, **addressing: Any) -> dict[str, Any]:
    return {"type": "Note", "content": text, "attributedTo": world.id_of(author), **addressing}


def types_of(items: list[Any]) -> list[str]:
    return [n["type"] for n in items]


def notified(world: World, kind: str) -> list[Any]:
    """Wait until alice has a notification of ``kind``; return all of hers."""

    def check() -> list[Any]:
        found = list(world.client("alice").notifications())
        return found if kind in types_of(found) else []

    return wait_until(check, timeout=20)


# --- the story ---------------------------------------------------------------------------


def test_a_follow_from_another_node_notifies(world: World) -> None:
    c2s(world, "bob", {"type": "Follow", "object": world.id_of("alice")})
    (n,) = notified(world, "follow")
    assert n["account"]["acct"] == f"bob@{world.b.domain}"
    assert ISO_MS.match(
        httpx.get(  # the raw JSON keeps Mastodon's millisecond format
            f"{world.a.base_url}/api/v1/notifications",
            headers={"Authorization": f"Bearer {world.tokens['alice']}"},
        ).json()[0]["created_at"]
    )
    raw = world.client("alice").notifications(id=n["id"])
    assert raw["group_key"] == f"ungrouped-{n['id']}"
    assert "status" not in raw or raw["status"] is None
    assert raw["report"] is None


def test_favourite_reblog_and_mention_arrive(world: World) -> None:
    wait_until(lambda: query(world.b, select(Follow).where(Follow.state == "accepted")), timeout=20)
    post = c2s(
        world,
        "alice",
        note(
            world, "alice", "Titration lab", to=[PUBLIC], cc=[world.id_of("alice") + "/followers"]
        ),
    )
    world.posts["lab"] = post
    wait_until(lambda: query(world.b, select(ContentObject).where(ContentObject.ap_id == post)))
    c2s(world, "bob", {"type": "Like", "object": post})
    c2s(world, "bob", {"type": "Announce", "object": post})
    mention = c2s(
        world,
        "bob",
        note(
            world,
            "bob",
            f"@alice@{world.a.domain} your lab sheet is great",
            to=[PUBLIC],
            cc=[world.id_of("alice")],
        ),
    )
    world.posts["mention"] = mention
    for kind in ("favourite", "reblog", "mention"):
        notified(world, kind)
    found = {n["type"]: n for n in world.client("alice").notifications()}
    post_id = local_id(world.a, post)
    assert found["favourite"]["status"]["id"] == post_id
    assert found["reblog"]["status"]["id"] == post_id
    assert found["mention"]["status"]["id"] == local_id(world.a, mention)
    assert found["mention"]["status"]["account"]["acct"] == f"bob@{world.b.domain}"
    assert {n["account"]["acct"] for n in found.values()} == {f"bob@{world.b.domain}"}


def test_types_exclude_types_and_account_filters(world: World) -> None:
    alice = world.client("alice")
    assert types_of(alice.notifications(types=["mention"])) == ["mention"]
    assert sorted(types_of(alice.notifications(types=["favourite", "reblog"]))) == [
        "favourite",
        "reblog",
    ]
    kept = types_of(alice.notifications(exclude_types=["favourite", "reblog"]))
    assert sorted(kept) == ["follow", "mention"]
    bob_id = local_id(world.a, world.id_of("bob"))
    assert len(alice.notifications(account_id=bob_id)) == 4
    assert alice.notifications(account_id=local_id(world.a, world.id_of("carol"))) == []


def test_pages_follow_the_link_header(world: World) -> None:
    alice = world.client("alice")
    first = alice.notifications(limit=3)
    assert len(first) == 3
    rest = alice.fetch_next(first)
    assert rest is not None and len(rest) == 1
    ids = [n["id"] for n in [*first, *rest]]
    assert ids == sorted(ids, key=int, reverse=True)
    assert alice.fetch_previous(rest) is not None


def test_one_notification_is_the_owners_only(world: World) -> None:
    newest = world.client("alice").notifications()[0]
    with pytest.raises(MastodonNotFoundError):
        world.client("carol").notifications(id=newest["id"])
    r = httpx.post(
        f"{world.a.base_url}/api/v1/notifications/{newest['id']}/dismiss",
        headers={"Authorization": f"Bearer {world.tokens['carol']}"},
    )
    assert (r.status_code, r.json()) == (404, {"error": "Record not found"})


def test_scopes_are_enforced(world: World) -> None:
    url = f"{world.a.base_url}/api/v1/notifications"
    assert httpx.get(url).status_code == 401
    statuses_only = world.a.token("carol", "read:statuses")
    r = httpx.get(url, headers={"Authorization": f"Bearer {statuses_only}"})
    assert r.status_code == 403
    reader = world.a.token("alice", "read:notifications")
    r = httpx.post(f"{url}/clear", headers={"Authorization": f"Bearer {reader}"})
    assert r.status_code == 403


def test_unread_count(world: World) -> None:
    r = httpx.get(
        f"{world.a.base_url}/api/v1/notifications/unread_count",
        headers={"Authorization": f"Bearer {world.tokens['alice']}"},
    )
    assert r.json() == {"count": 4}


def test_dismiss_and_clear(world: World) -> None:
    alice = world.client("alice")
    favourite = next(n for n in alice.notifications() if n["type"] == "favourite")
    alice.notifications_dismiss(favourite["id"])
    assert "favourite" not in types_of(alice.notifications())
    with pytest.raises(MastodonNotFoundError):
        alice.notifications(id=favourite["id"])
    alice.notifications_clear()
    assert alice.notifications() == []


def test_a_direct_message_notifies_and_makes_a_conversation(world: World) -> None:
    dm = c2s(
        world,
        "bob",
        note(world, "bob", f"@alice@{world.a.domain} exam key?", to=[world.id_of("alice")]),
    )
    (n,) = notified(world, "mention")
    assert n["status"]["visibility"] == "direct"
    # carol, on alice's node, is told nothing and sees no conversation.
    assert world.client("carol").notifications() == []
    assert world.client("carol").conversations() == []

    alice = world.client("alice")
    (conversation,) = alice.conversations()
    assert conversation["unread"] is True
    assert [a["acct"] for a in conversation["accounts"]] == [f"bob@{world.b.domain}"]
    assert conversation["last_status"]["id"] == local_id(world.a, dm)
    read = alice.conversations_read(conversation["id"])
    assert read["unread"] is False
    assert alice.conversations()[0]["unread"] is False

    r = httpx.delete(
        f"{world.a.base_url}/api/v1/conversations/{conversation['id']}",
        headers={"Authorization": f"Bearer {world.tokens['alice']}"},
    )
    assert (r.status_code, r.json()) == (200, {})
    assert alice.conversations() == []

    # A new message in the thread brings it back, unread.
    reply = c2s(
        world,
        "bob",
        note(
            world, "bob", f"@alice@{world.a.domain} ping", to=[world.id_of("alice")], inReplyTo=dm
        ),
    )
    back = wait_until(lambda: alice.conversations(), timeout=20)
    assert back[0]["id"] == conversation["id"]
    assert back[0]["unread"] is True
    assert back[0]["last_status"]["id"] == local_id(world.a, reply)
    with pytest.raises(MastodonAPIError):
        world.client("carol").conversations_read(conversation["id"])
