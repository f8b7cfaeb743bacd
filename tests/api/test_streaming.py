"""The streaming API on a running node: WebSocket frames and Mastodon.py's event stream.

Two real nodes on loopback: alice and carol on node A (the module's database
kind), bob on node B, acting through his own node's C2S outbox; so a post
that reaches alice's stream crossed real federation and the inbox worker
first. Frames are timed against the moment the cause was committed on node
A (its stream event row): each must arrive within a second. Tests run in
order and build on each other.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, StreamListener
from sqlmodel import col, select, update

from federation.constants import PUBLIC
from storage.models import (
    AccessToken,
    Activity,
    Actor,
    ContentObject,
    Follow,
    ListMember,
    StreamEvent,
    UserList,
)
from storage.types import utcnow
from tests.support.node import Node, alice_carol_and_bob, wait_until
from tests.support.streaming import StreamClient, event_is, payload

AS = "application/activity+json"


@dataclass
class World:
    a: Node
    b: Node
    tokens: dict[str, str]
    posts: dict[str, str]

    def id_of(self, name: str) -> str:
        node = self.b if name == "bob" else self.a
        return f"{node.base_url}/users/{name}"

    def ws(self, query: str = "", **kwargs: Any) -> StreamClient:
        url = f"ws://{self.a.domain}/api/v1/streaming{'?' + query if query else ''}"
        return StreamClient(url, **kwargs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_db_kind: str) -> Iterator[World]:
    with alice_carol_and_bob(tmp_path_factory.mktemp("streaming"), module_db_kind) as (
        a,
        b,
        tokens,
    ):
        yield World(a, b, tokens, {})


# --- helpers ---------------------------------------------------------------------------


def query(node: Node, statement: Any) -> list[Any]:
    async def run(session: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    return node.with_session(run)


def c2s(world: World, name: str, doc: dict[str, Any]) -> str:
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


def post(world: World, name: str, text: str, visibility: str = "public", **extra: Any) -> str:
    followers = world.id_of(name) + "/followers"
    addressing = {
        "public": {"to": [PUBLIC], "cc": [followers]},
        "followers": {"to": [followers]},
    }[visibility]
    doc = {"type": "Note", "content": text, "attributedTo": world.id_of(name)}
    return c2s(world, name, {**doc, **addressing, **extra})


def about(ap_id: str) -> Any:
    """A frame whose status (or a notification's status) is the post ``ap_id``."""

    def check(frame: dict[str, Any]) -> bool:
        if frame.get("event") not in ("update", "status.update", "notification"):
            return False
        body = payload(frame)
        status = body.get("status") if frame["event"] == "notification" else body
        return isinstance(status, dict) and status.get("uri") == ap_id

    return check


def committed_at(node: Node, ap_id: str, event: str = "update") -> float:
    """When the stream event of a post was written on ``node`` (epoch seconds)."""
    (obj,) = query(node, select(ContentObject).where(ContentObject.ap_id == ap_id))
    rows = query(
        node,
        select(StreamEvent).where(StreamEvent.object_id == obj.id, StreamEvent.event == event),
    )
    return float(min(r.created_at for r in rows).timestamp())


def api_id(node: Node, ap_id: str) -> str:
    (obj,) = query(node, select(ContentObject).where(ContentObject.ap_id == ap_id))
    return str(obj.id)


# --- the story ---------------------------------------------------------------------------


def test_health_and_refusals(world: World) -> None:
    r = httpx.get(f"{world.a.base_url}/api/v1/streaming/health")
    assert (r.status_code, r.text) == (200, "OK")
    alice = Mastodon(
        access_token=world.tokens["alice"], api_base_url=world.a.base_url, version_check_mode="none"
    )
    assert alice.stream_healthy()
    with world.ws("stream=user", token="not-a-token") as refused:
        assert refused.refused_status == 401
    with world.ws("stream=user") as anonymous:
        assert anonymous.refused_status == 401
    r = httpx.get(f"{world.a.base_url}/api/v1/streaming/user")
    assert (r.status_code, r.json()) == (401, {"error": "The access token is invalid"})
    r = httpx.get(
        f"{world.a.base_url}/api/v1/streaming/hashtag",
        headers={"Authorization": f"Bearer {world.tokens['alice']}"},
    )
    assert r.status_code == 400


def test_the_token_may_come_as_the_subprotocol_or_the_query(world: World) -> None:
    token = world.tokens["alice"]
    with world.ws(subprotocol_token=token) as stream:
        assert stream.refused_status is None
        assert stream.subprotocol == token
        stream.send({"type": "subscribe", "stream": "nonsense"})
        _at, error = stream.wait_for(lambda f: "error" in f, timeout=5)
        assert error == {"error": "Unknown stream type", "status": 400}
    with world.ws(f"stream=user&access_token={token}") as stream:
        assert stream.refused_status is None


def test_alice_follows_bob(world: World) -> None:
    # One after the other: each node then knows the other's actor before it hears from it.
    def accepted() -> int:
        return len(query(world.a, select(Follow).where(Follow.state == "accepted")))

    for name, target, count in (("alice", "bob", 1), ("bob", "alice", 2)):
        c2s(world, name, {"type": "Follow", "object": world.id_of(target)})
        wait_until(lambda n=count: accepted() == n, timeout=20)  # type: ignore[misc]


def test_a_post_from_another_node_arrives_within_a_second(world: World) -> None:
    with world.ws("stream=user", token=world.tokens["alice"]) as stream:
        started = time.time()
        ap_id = post(world, "bob", "Titration results are in")
        world.posts["bob-public"] = ap_id
        arrived, frame = stream.wait_for(about(ap_id))
        assert frame["stream"] == ["user"] and frame["event"] == "update"
        status = payload(frame)
        assert status["account"]["acct"] == f"bob@{world.b.domain}"
        assert status["id"] == api_id(world.a, ap_id)
        assert arrived - committed_at(world.a, ap_id) < 1.0
        assert arrived - started < 10  # the whole trip: B's outbox, delivery, A's inbox
        # Alice's own post reaches her own stream too, within a second of being made.
        mine = post(world, "alice", "My own lesson")
        arrived, _frame = stream.wait_for(about(mine))
        assert arrived - committed_at(world.a, mine) < 1.0


def test_followers_only_posts_never_reach_public_streams(world: World) -> None:
    with (
        world.ws("stream=user", token=world.tokens["alice"]) as alice,
        world.ws("stream=public", token=world.tokens["carol"]) as carol_public,
        world.ws("stream=user", token=world.tokens["carol"]) as carol_home,
    ):
        alice.send({"type": "subscribe", "stream": "public"})
        time.sleep(0.3)  # the subscription message is handled before the posts arrive
        private = post(world, "bob", "Grades draft (followers only)", visibility="followers")
        alice.wait_for(about(private))  # alice follows bob: her home stream shows it
        barrier = post(world, "bob", "Public notice")
        alice.wait_for(lambda f: about(barrier)(f) and f["stream"] == ["public"])
        carol_public.wait_for(about(barrier))
        for stream in (alice, carol_public, carol_home):
            leaked = [f for f in stream.received() if about(private)(f) and f["stream"] != ["user"]]
            assert leaked == []
        assert not any(about(private)(f) for f in carol_home.received())
        assert not any(about(private)(f) for f in carol_public.received())


def test_hashtag_and_direct_streams(world: World) -> None:
    with (
        world.ws("stream=hashtag&tag=chemistry", token=world.tokens["alice"]) as tag,
        world.ws("stream=direct", token=world.tokens["alice"]) as direct,
        world.ws("stream=direct", token=world.tokens["carol"]) as carol_direct,
    ):
        tagged = post(world, "bob", "<p>Lab safety #chemistry</p>")
        _at, frame = tag.wait_for(about(tagged))
        assert frame["stream"] == ["hashtag", "chemistry"]
        dm = c2s(
            world,
            "bob",
            {
                "type": "Note",
                "content": f"@alice@{world.a.domain} exam key",
                "attributedTo": world.id_of("bob"),
                "to": [world.id_of("alice")],
            },
        )
        _at, frame = direct.wait_for(event_is("conversation"))
        conversation = payload(frame)
        assert conversation["last_status"]["uri"] == dm
        assert conversation["unread"] is True
        assert [a["acct"] for a in conversation["accounts"]] == [f"bob@{world.b.domain}"]
        assert not any(f.get("event") == "conversation" for f in carol_direct.received())
        assert not any(about(dm)(f) for f in tag.received())


def test_an_edit_arrives_as_status_update(world: World) -> None:
    with world.ws("stream=user", token=world.tokens["alice"]) as stream:
        draft = post(world, "bob", "Homework: page 12")
        stream.wait_for(about(draft))
        c2s(
            world,
            "bob",
            {"type": "Update", "object": {"id": draft, "type": "Note", "content": "Page 14"}},
        )
        arrived, frame = stream.wait_for(
            lambda f: f.get("event") == "status.update" and about(draft)(f)
        )
        assert "Page 14" in payload(frame)["content"]
        assert payload(frame)["edited_at"] is not None
        assert arrived - committed_at(world.a, draft, "status.update") < 1.0


def test_a_list_stream_shows_its_members_to_its_owner_only(world: World) -> None:
    async def make_list(session: Any) -> int:
        alice, bob = [
            (await session.exec(select(Actor).where(Actor.ap_id == world.id_of(name)))).one()
            for name in ("alice", "bob")
        ]
        row = UserList(actor_id=alice.id, title="Science department")
        session.add(row)
        await session.flush()
        session.add(ListMember(list_id=row.id, target_id=bob.id))
        return int(row.id)

    list_id = world.a.with_session(make_list)
    with (
        world.ws(f"stream=list&list={list_id}", token=world.tokens["alice"]) as mine,
        world.ws(f"stream=list&list={list_id}", token=world.tokens["carol"]) as not_mine,
    ):
        news = post(world, "bob", "Science fair on Friday")
        _at, frame = mine.wait_for(about(news))
        assert frame["stream"] == ["list", str(list_id)]
        time.sleep(0.5)
        assert not_mine.received() == []


class Collector(StreamListener):
    """What Mastodon.py's listener thread hands us, with arrival times."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, Any]] = []
        self.lock = threading.Lock()

    def _add(self, kind: str, data: Any) -> None:
        with self.lock:
            self.events.append((time.time(), kind, data))

    def on_update(self, status: Any) -> None:
        self._add("update", status)

    def on_notification(self, notification: Any) -> None:
        self._add("notification", notification)

    def on_delete(self, status_id: Any) -> None:
        self._add("delete", status_id)

    def on_status_update(self, status: Any) -> None:
        self._add("status.update", status)

    def wait_for(self, kind: str, check: Any, timeout: float = 20.0) -> tuple[float, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for at, seen, data in self.events:
                    if seen == kind and check(data):
                        return at, data
            time.sleep(0.02)
        raise AssertionError(f"no {kind} event; got {self.events!r}")


def test_mastodon_py_stream_user_gets_notifications_and_deletes(world: World) -> None:
    alice = Mastodon(
        access_token=world.tokens["alice"], api_base_url=world.a.base_url, version_check_mode="none"
    )
    listener = Collector()
    handle = alice.stream_user(listener, run_async=True)
    try:
        wait_until(handle.is_receiving, timeout=10)
        time.sleep(0.3)
        lesson = post(world, "alice", "Acids and bases")
        listener.wait_for("update", lambda s: s["uri"] == lesson)
        wait_until(
            lambda: query(world.b, select(ContentObject).where(ContentObject.ap_id == lesson)),
            timeout=20,
        )
        c2s(world, "bob", {"type": "Like", "object": lesson})
        arrived, note = listener.wait_for(
            "notification", lambda n: n["type"] == "favourite" and n["status"]["uri"] == lesson
        )
        assert note["account"]["acct"] == f"bob@{world.b.domain}"
        rows = query(world.a, select(StreamEvent).where(StreamEvent.event == "notification"))
        assert arrived - max(r.created_at for r in rows).timestamp() < 1.0

        gone = world.posts["bob-public"]
        gone_id = api_id(world.a, gone)
        c2s(world, "bob", {"type": "Delete", "object": gone})
        _at, deleted = listener.wait_for("delete", lambda i: str(i) == gone_id)
        assert str(deleted) == gone_id
    finally:
        handle.close()


def test_a_revoked_token_closes_its_streams(world: World) -> None:
    token = world.a.token("alice", "read")
    other = world.tokens["alice"]
    with (
        world.ws("stream=user", token=token) as doomed,
        world.ws("stream=user", token=other) as kept,
        httpx.stream(
            "GET",
            f"{world.a.base_url}/api/v1/streaming/public",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ) as sse,
    ):
        assert sse.status_code == 200
        assert sse.headers["content-type"].startswith("text/event-stream")
        time.sleep(0.3)

        async def revoke(session: Any) -> None:
            await session.exec(
                update(AccessToken)
                .where(col(AccessToken.id) == _token_id(world.a, token))
                .values(revoked_at=utcnow())
            )

        revoked = time.monotonic()
        world.a.with_session(revoke)
        assert doomed.closed.wait(5)
        assert doomed.close_code == 1008
        assert time.monotonic() - revoked < 2.0
        assert b"".join(sse.iter_bytes()).startswith(b":)")  # the event stream ends too
        assert not kept.closed.is_set()


def _token_id(node: Node, token: str) -> int:
    from actors.tokens import hash_token

    (row,) = query(node, select(AccessToken).where(AccessToken.token_hash == hash_token(token)))
    return int(row.id)


def test_frames_carry_json_string_payloads_and_unsubscribe_stops_them(world: World) -> None:
    with world.ws("stream=public:local", token=world.tokens["carol"]) as stream:
        local = post(world, "alice", "Staff meeting moved")
        _at, frame = stream.wait_for(about(local))
        assert frame["stream"] == ["public:local"]
        assert isinstance(frame["payload"], str)
        assert json.loads(frame["payload"])["visibility"] == "public"
        stream.send({"type": "unsubscribe", "stream": "public:local"})
        stream.send({"type": "subscribe", "stream": "public"})
        time.sleep(0.3)
        later = post(world, "alice", "Staff meeting moved again")
        _at, frame = stream.wait_for(about(later))
        assert frame["stream"] == ["public"]
        assert [f["stream"] for f in stream.received() if about(later)(f)] == [["public"]]
