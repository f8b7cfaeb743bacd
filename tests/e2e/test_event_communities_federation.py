"""A members-only community's event across two nodes (issue 13, part 1).

Node A (PostgreSQL when configured) holds olga, who owns the members-only
community ``methodists``; node B (SQLite) holds bob, a member, and dave, a
stranger. olga organizes an event in the community: the community's
announcement brings it to B, where bob sees it and joins it (accepted at
the origin); dave does not see it by the list, by its id or by a fetch,
and his join is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from tests.support.databases import postgres_admin_url
from tests.support.node import Node, wait_until

API = "/api/v1/staffroom/events"
AS = {"Accept": "application/activity+json"}


@dataclass
class World:
    a: Node
    b: Node
    tokens: dict[str, str]
    seen: dict[str, Any] = field(default_factory=dict)

    def http(self, node: Node, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=node.base_url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("event-communities")
    a = Node(base / "a", "postgres" if postgres_admin_url() else "sqlite")
    b = Node(base / "b", "sqlite")
    try:
        for node, names in ((a, ("olga",)), (b, ("bob", "dave"))):
            node.migrate()
            for name in names:
                node.create_user(name)
            node.start()
        tokens = {"olga": a.token("olga"), "bob": b.token("bob"), "dave": b.token("dave")}
        yield World(a, b, tokens)
    finally:
        a.close()
        b.close()


def _listed(world: World, who: str, uri: str) -> dict[str, Any] | None:
    with world.http(world.b, who) as http:
        found = http.get(API, params={"limit": 80}).json()
    return next((e for e in found if e["uri"] == uri), None)


def test_bob_joins_the_members_only_community(world: World) -> None:
    with world.http(world.a, "olga") as http:
        made = http.post(
            "/api/v1/staffroom/communities",
            data={"name": "methodists", "join_policy": "open", "visibility": "members"},
        )
    assert made.status_code == 200, made.text
    bob = Mastodon(access_token=world.tokens["bob"], api_base_url=world.b.base_url)
    group = bob.search_v2(f"methodists@{world.a.domain}", resolve=True)["accounts"][0]
    bob.account_follow(group["id"])
    wait_until(lambda: bob.account_relationships(group["id"])[0]["following"], timeout=30)


def test_the_communitys_event_reaches_its_member_on_b(world: World) -> None:
    with world.http(world.a, "olga") as http:
        group = http.get("/api/v1/accounts/lookup", params={"acct": "methodists"}).json()
        posted = http.post(
            API,
            json={
                "title": "Methodists' seminar",
                "start_time": "2033-02-01T15:00:00",
                "end_time": "2033-02-01T17:00:00",
                "timezone": "Europe/Moscow",
                "community": group["id"],
            },
        )
    assert posted.status_code == 200, posted.text
    uri = posted.json()["uri"]
    remote = wait_until(lambda: _listed(world, "bob", uri), timeout=30)
    assert remote["local"] is False and remote["start_time"].startswith("2033-02-01T12:00")
    world.seen.update(uri=uri, remote_id=remote["id"], origin_id=posted.json()["id"])


def test_bob_joins_and_the_origin_accepts(world: World) -> None:
    with world.http(world.b, "bob") as http:
        joined = http.post(f"{API}/{world.seen['remote_id']}/join")
    assert joined.status_code == 200, joined.text
    wait_until(
        lambda: (_listed(world, "bob", world.seen["uri"]) or {}).get("participation") == "accepted",
        timeout=30,
    )
    with world.http(world.a, "olga") as http:
        people = http.get(f"{API}/{world.seen['origin_id']}/participants").json()
    assert [p["account"]["acct"] for p in people] == [f"bob@{world.b.domain}"]


def test_a_stranger_sees_nothing_and_cannot_join(world: World) -> None:
    assert _listed(world, "dave", world.seen["uri"]) is None
    with world.http(world.b, "dave") as http:
        assert http.get(f"{API}/{world.seen['remote_id']}").status_code == 404
        assert http.post(f"{API}/{world.seen['remote_id']}/join").status_code == 404
    assert httpx.get(world.seen["uri"], headers=AS, timeout=20).status_code in (401, 403, 404)
    with world.http(world.a, "olga") as http:
        people = http.get(f"{API}/{world.seen['origin_id']}/participants").json()
    assert len(people) == 1
