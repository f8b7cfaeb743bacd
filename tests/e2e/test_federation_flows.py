"""Federation between three Staffroom nodes and the independent Fedify peer.

One story, told in order (each test builds on the ones before it): people on
different nodes follow each other, post in every visibility, reply, like,
boost, edit their profile, rotate keys and delete. Everything travels over
real HTTP on loopback with real signatures; each node is its own process and
database (node A on PostgreSQL when it is configured, B and C on SQLite).
Clients act through the ActivityPub C2S outbox with bearer tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from actors.graph import approve, find_follow
from actors.profile import rotate_keys
from federation.constants import PUBLIC
from storage.models import (
    Activity,
    Actor,
    ContentObject,
    Follow,
    InboxItem,
    MailboxEntry,
)
from tests.support.databases import postgres_admin_url
from tests.support.fedify import started_peer
from tests.support.node import Node, wait_until

AS = "application/activity+json"


@dataclass
class World:
    a: Node  # alice
    b: Node  # bob, dave
    c: Node  # carol (approves followers by hand)
    fred: Any  # Fedify peer
    tokens: dict[str, str]
    posts: dict[str, str]  # label -> object id

    def node_of(self, name: str) -> Node:
        return {"alice": self.a, "bob": self.b, "dave": self.b, "carol": self.c}[name]

    def id_of(self, name: str) -> str:
        return f"{self.node_of(name).base_url}/users/{name}"

    def handle(self, name: str) -> str:
        return f"{name}@{self.node_of(name).domain}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("flows")
    nodes = [
        Node(base / "a", "postgres" if postgres_admin_url() else "sqlite"),
        Node(base / "b"),
        Node(base / "c"),
    ]
    try:
        for node in nodes:
            node.migrate()
        nodes[0].create_user("alice", display_name="Alice (chemistry)")
        nodes[1].create_user("bob")
        nodes[1].create_user("dave")
        nodes[2].create_user("carol", manually_approves_followers=True)
        for node in nodes:
            node.start()
        with started_peer(base / "peer", "fred") as fred:
            tokens = {
                "alice": nodes[0].token("alice"),
                "bob": nodes[1].token("bob"),
                "dave": nodes[1].token("dave"),
                "carol": nodes[2].token("carol"),
            }
            yield World(nodes[0], nodes[1], nodes[2], fred, tokens, {})
    finally:
        for node in nodes:
            node.close()


# --- helpers ---------------------------------------------------------------------------


def c2s(world: World, name: str, doc: dict[str, Any]) -> str:
    """POST to ``name``'s outbox; returns the new activity's id (the Location)."""
    node = world.node_of(name)
    r = httpx.post(
        f"{node.base_url}/users/{name}/outbox",
        json=doc,
        headers={"Authorization": f"Bearer {world.tokens[name]}", "Content-Type": AS},
        timeout=20,
    )
    assert r.status_code == 201, r.text
    return r.headers["location"]


def query(node: Node, statement: Any) -> list[Any]:
    async def run(session: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    return node.with_session(run)


def activity(node: Node, ap_id: str) -> dict[str, Any]:
    (row,) = query(node, select(Activity).where(Activity.ap_id == ap_id))
    body: dict[str, Any] = row.body
    return body


def object_id_of(node: Node, activity_id: str) -> str:
    obj = activity(node, activity_id)["object"]
    return obj["id"] if isinstance(obj, dict) else obj


def stored(node: Node, ap_id: str) -> ContentObject | None:
    rows = query(node, select(ContentObject).where(ContentObject.ap_id == ap_id))
    return rows[0] if rows else None


def mailbox_has(world: World, name: str, object_id: str) -> bool:
    """Whether ``name``'s inbox (as its owner sees it) holds an activity about ``object_id``."""
    node = world.node_of(name)
    rows = query(
        node,
        select(InboxItem)
        .join(MailboxEntry, MailboxEntry.inbox_item_id == InboxItem.id)  # type: ignore[arg-type]
        .join(Actor, MailboxEntry.owner_id == Actor.id)  # type: ignore[arg-type]
        .where(Actor.ap_id == world.id_of(name)),
    )
    for item in rows:
        obj = item.body.get("object")
        if (obj.get("id") if isinstance(obj, dict) else obj) == object_id:
            return True
    return False


def follow_state(node: Node, follower: str, followee: str) -> str | None:
    rows = query(
        node,
        select(Follow)
        .join(Actor, Follow.follower_id == Actor.id)  # type: ignore[arg-type]
        .where(Actor.ap_id == follower),
    )
    for row in rows:
        target = query(node, select(Actor).where(Actor.id == row.followee_id))[0]
        if target.ap_id == followee:
            return str(row.state)
    return None


def note(world: World, author: str, text: str, **addressing: Any) -> dict[str, Any]:
    return {"type": "Note", "content": text, "attributedTo": world.id_of(author), **addressing}


def followers(world: World, name: str) -> str:
    return world.id_of(name) + "/followers"


def fred_got(world: World, kind: str, object_id: str, timeout: float = 15) -> dict[str, Any]:
    def matches(item: dict[str, Any]) -> bool:
        return item.get("objectId") == object_id

    got: dict[str, Any] = world.fred.wait_for(type=kind, predicate=matches, timeout=timeout)
    return got


def fred_has(world: World, kind: str, object_id: str) -> bool:
    return any(item.get("objectId") == object_id for item in world.fred.received(type=kind))


# --- the story ---------------------------------------------------------------------------


def test_follows_across_nodes_and_with_fedify_are_accepted(world: World) -> None:
    alice = world.id_of("alice")
    c2s(world, "bob", {"type": "Follow", "object": alice})
    world.fred.follow(world.handle("alice"))
    wait_until(lambda: follow_state(world.b, world.id_of("bob"), alice) == "accepted", timeout=20)
    wait_until(lambda: follow_state(world.a, world.id_of("bob"), alice) == "accepted")
    accept = world.fred.wait_for(type="Accept", timeout=20)
    assert accept["httpSignature"]["verified"]
    assert accept["actor"] == alice
    wait_until(lambda: follow_state(world.a, world.fred.actor, alice) == "accepted")


def test_a_follow_request_waits_for_approval(world: World) -> None:
    carol = world.id_of("carol")
    c2s(world, "bob", {"type": "Follow", "object": carol})
    wait_until(lambda: follow_state(world.c, world.id_of("bob"), carol) == "pending", timeout=20)
    assert follow_state(world.b, world.id_of("bob"), carol) == "pending"

    async def carol_approves(session: Any, ctx: Any) -> None:
        bob = (await session.exec(select(Actor).where(Actor.ap_id == world.id_of("bob")))).one()
        carol_row = (await session.exec(select(Actor).where(Actor.ap_id == carol))).one()
        request = await find_follow(session, bob.id, carol_row.id)
        assert request is not None
        await approve(session, ctx, request)

    world.c.with_node(carol_approves)
    wait_until(lambda: follow_state(world.b, world.id_of("bob"), carol) == "accepted", timeout=20)


@pytest.mark.parametrize("visibility", ["public", "unlisted", "followers"])
def test_a_post_reaches_its_followers_and_nobody_else(world: World, visibility: str) -> None:
    addressing = {
        "public": {"to": [PUBLIC], "cc": [followers(world, "alice")]},
        "unlisted": {"to": [followers(world, "alice")], "cc": [PUBLIC]},
        "followers": {"to": [followers(world, "alice")]},
    }[visibility]
    activity_id = c2s(world, "alice", note(world, "alice", f"{visibility} lesson", **addressing))
    object_id = object_id_of(world.a, activity_id)
    world.posts[visibility] = object_id
    assert stored(world.a, object_id).visibility == visibility  # type: ignore[union-attr]

    wait_until(lambda: mailbox_has(world, "bob", object_id), timeout=20)
    assert stored(world.b, object_id).visibility == visibility  # type: ignore[union-attr]
    fred_got(world, "Create", object_id)
    # dave shares bob's node (and its shared inbox) but does not follow alice;
    # carol's node has no follower of alice, so it never hears of the post.
    assert not mailbox_has(world, "dave", object_id)
    assert stored(world.c, object_id) is None


def test_a_direct_message_reaches_only_the_addressee(world: World) -> None:
    text = f'<p><a href="{world.id_of("carol")}">@carol</a> the exam key</p>'
    activity_id = c2s(world, "alice", note(world, "alice", text, to=[world.id_of("carol")]))
    object_id = object_id_of(world.a, activity_id)
    world.posts["direct"] = object_id
    wait_until(lambda: mailbox_has(world, "carol", object_id), timeout=20)
    assert stored(world.c, object_id).visibility == "direct"  # type: ignore[union-attr]
    assert stored(world.b, object_id) is None
    assert not fred_has(world, "Create", object_id)


@pytest.mark.parametrize("visibility", ["followers", "direct"])
def test_private_posts_are_not_served_to_strangers(world: World, visibility: str) -> None:
    object_id = world.posts[visibility]
    assert httpx.get(object_id, headers={"Accept": AS}, timeout=5).status_code == 404
    public = httpx.get(world.posts["public"], headers={"Accept": AS}, timeout=5)
    assert public.status_code == 200
    assert public.json()["id"] == world.posts["public"]


def test_fedify_fetches_a_public_post(world: World) -> None:
    found = world.fred.lookup(world.posts["public"])
    assert found["type"] == "Note"
    assert found["id"] == world.posts["public"]


def test_replies_thread_across_nodes(world: World) -> None:
    parent = world.posts["public"]
    reply = c2s(
        world,
        "bob",
        note(
            world,
            "bob",
            "I use this with year 9",
            inReplyTo=parent,
            to=[PUBLIC],
            cc=[world.id_of("alice")],
        ),
    )
    reply_id = object_id_of(world.b, reply)
    fedify_reply = world.fred.post("Same in my class", to="public", in_reply_to=parent)
    wait_until(lambda: stored(world.a, reply_id) is not None, timeout=20)
    posted = fedify_reply["object"]
    fedify_reply_id = posted["id"] if isinstance(posted, dict) else posted
    wait_until(lambda: stored(world.a, fedify_reply_id) is not None, timeout=20)
    assert stored(world.a, reply_id).in_reply_to == parent  # type: ignore[union-attr]
    wait_until(lambda: stored(world.a, parent).replies_count == 2)  # type: ignore[union-attr]


def test_likes_and_boosts_count_on_the_origin(world: World) -> None:
    target = world.posts["public"]
    c2s(world, "bob", {"type": "Like", "object": target})
    c2s(world, "carol", {"type": "Like", "object": target})  # carol's node fetches it first
    world.fred.like(target)
    c2s(world, "bob", {"type": "Announce", "object": target, "to": [PUBLIC]})
    world.fred.announce(target)
    wait_until(lambda: stored(world.a, target).likes_count == 3, timeout=20)  # type: ignore[union-attr]
    wait_until(lambda: stored(world.a, target).announces_count == 2, timeout=20)  # type: ignore[union-attr]


def test_unfollow_stops_followers_only_delivery(world: World) -> None:
    alice = world.id_of("alice")
    follow_ids = query(
        world.b,
        select(Activity.ap_id).where(Activity.type == "Follow", Activity.object_ap_id == alice),
    )
    c2s(world, "bob", {"type": "Undo", "object": follow_ids[-1]})
    wait_until(lambda: follow_state(world.a, world.id_of("bob"), alice) is None, timeout=20)
    activity_id = c2s(
        world, "alice", note(world, "alice", "after bob left", to=[followers(world, "alice")])
    )
    object_id = object_id_of(world.a, activity_id)
    fred_got(world, "Create", object_id)  # fred still follows: the post went out
    assert stored(world.b, object_id) is None


def test_a_profile_update_propagates(world: World) -> None:
    # bob has left; dave (same node) follows now, so node B hears of alice again.
    c2s(world, "dave", {"type": "Follow", "object": world.id_of("alice")})
    wait_until(
        lambda: follow_state(world.b, world.id_of("dave"), world.id_of("alice")) == "accepted",
        timeout=20,
    )
    c2s(
        world,
        "alice",
        {
            "type": "Update",
            "object": {"id": world.id_of("alice"), "type": "Person", "name": "Dr Alice"},
        },
    )
    fred_got(world, "Update", world.id_of("alice"))

    def bob_sees_new_name() -> bool:
        rows = query(world.b, select(Actor).where(Actor.ap_id == world.id_of("alice")))
        return bool(rows) and rows[0].display_name == "Dr Alice"

    wait_until(bob_sees_new_name, timeout=20)


def test_key_rotation_keeps_verification_working(world: World) -> None:
    async def rotate(session: Any, ctx: Any) -> None:
        alice = (await session.exec(select(Actor).where(Actor.ap_id == world.id_of("alice")))).one()
        await rotate_keys(session, ctx, alice)

    world.a.with_node(rotate)
    activity_id = c2s(
        world, "alice", note(world, "alice", "new key", to=[PUBLIC], cc=[followers(world, "alice")])
    )
    object_id = object_id_of(world.a, activity_id)
    wait_until(lambda: mailbox_has(world, "dave", object_id), timeout=20)
    created = fred_got(world, "Create", object_id)
    assert created["httpSignature"]["verified"]
    assert created["httpSignature"]["keyId"] != f"{world.id_of('alice')}#main-key"


def test_delete_leaves_a_tombstone_everywhere(world: World) -> None:
    target = world.posts["public"]
    c2s(world, "alice", {"type": "Delete", "object": target})
    fred_got(world, "Delete", target)
    wait_until(lambda: stored(world.b, target).deleted_at is not None, timeout=20)  # type: ignore[union-attr]
    assert stored(world.a, target).deleted_at is not None  # type: ignore[union-attr]
    gone = httpx.get(target, headers={"Accept": AS}, timeout=5)
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone"
    # A late redelivery of the Create must not bring it back.
    assert (
        query(world.b, select(ContentObject).where(col(ContentObject.ap_id) == target))[0].content
        == ""
    )


def test_nothing_was_left_undelivered(world: World) -> None:
    from storage.models import Delivery

    for node in (world.a, world.b, world.c):
        wait_until(
            lambda node=node: not query(node, select(Delivery).where(Delivery.state == "pending")),
            timeout=20,
        )
        failed = query(node, select(Delivery).where(Delivery.state != "sent"))
        assert failed == [], [(d.inbox_url, d.last_status, d.last_error) for d in failed]
