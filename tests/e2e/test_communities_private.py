"""A members-only community across three nodes, driven through the client API (issue 11).

Node A holds alice, who creates the community ``staffroom`` (members-only,
join by approval) through ``/api/v1/staffroom/communities``, and eve, who
is no member. Node B holds bob, node C carol (members, approved by alice
through the API) and dave (a stranger on a member's node); fred on the
Fedify peer is approved as a member too, but his server is no Staffroom
(its NodeInfo says nothing of members-only posts), so nothing of the
community's posts may reach it, by delivery or by fetch. bob posts from an unmodified
Mastodon.py client by mentioning the community; carol on C sees it, with
its reply; nobody else does by any door: the public and tag timelines,
search, the community's statuses, an unsigned fetch, a signed fetch by a
non-member, the members collection. The Announce goes to the members'
nodes only, and a removed member's node stops receiving at once.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from storage.models import Activity, Delivery, PeerSoftware
from tests.support.node import wait_until
from tests.support.world import World, world_fixture

API = "/api/v1/staffroom/communities"
AS_JSON = {"Accept": "application/activity+json"}


world = world_fixture(
    "members-only",
    {"a": ("alice", "eve"), "b": ("bob",), "c": ("carol", "dave")},
    peer="fred",
)


def test_the_api_creates_a_members_only_community(world: World) -> None:
    with world.http(world.a, "alice") as http:
        bad = http.post(API, data={"name": "x", "join_policy": "whenever"})
        assert bad.status_code == 422 and "join policy" in bad.json()["error"]
        made = http.post(
            API,
            data={
                "name": "staffroom",
                "display_name": "School 7 staff room",
                "join_policy": "approval",
                "visibility": "members",
                "kind": "school_staff",
                "level": "school",
            },
        )
        assert made.status_code == 200, made.text
        entity = made.json()
        again = http.post(API, data={"name": "staffroom"})
        assert again.status_code == 422 and "taken" in again.json()["error"]
    assert entity["visibility"] == "members" and entity["join_policy"] == "approval"
    assert entity["role"] == "owner" and entity["members_count"] == 0
    assert entity["account"]["group"] is True and entity["account"]["locked"] is True
    with world.http(world.a) as http:
        directory = http.get(API, params={"kind": "school_staff"}).json()
        assert [c["acct"] for c in directory] == ["staffroom"]
        assert directory[0]["members_count"] is None  # not for strangers' eyes
        assert http.get(API, params={"kind": "parents"}).json() == []
        listed = {a["acct"] for a in http.get("/api/v1/directory").json()}
        assert "alice" in listed and "staffroom" not in listed  # members-only: not offered
    world.seen["community"] = entity


def test_members_join_and_alice_approves_them_through_the_api(world: World) -> None:
    handle = f"staffroom@{world.a.domain}"
    world.fred.follow(world.seen["community"]["uri"])
    for node, who in ((world.b, "bob"), (world.c, "carol")):
        client = world.client(node, who)
        group = client.search_v2(handle, resolve=True)["accounts"][0]
        client.account_follow(group["id"])
        wait_until(lambda c=client, g=group: c.account_relationships(g["id"])[0]["requested"])
        world.seen[f"{who}_group"] = group["id"]
    base = f"{API}/{world.seen['community']['id']}"
    with world.http(world.a, "eve") as http:
        assert http.get(f"{base}/requests").status_code == 403
    with world.http(world.a, "alice") as http:
        waiting = wait_until(lambda: len(http.get(f"{base}/requests").json()) == 3 and http)
        for account in waiting.get(f"{base}/requests").json():
            answer = http.post(f"{base}/requests/{account['id']}/authorize")
            assert answer.status_code == 200, answer.text
        world.seen["accounts"] = {
            a["acct"].split("@")[0]: a["id"] for a in http.get(f"{base}/members").json()
        }
    for node, who in ((world.b, "bob"), (world.c, "carol")):
        client = world.client(node, who)
        wait_until(
            lambda c=client, g=world.seen[f"{who}_group"]: c.account_relationships(g)[0][
                "following"
            ],
            timeout=30,
        )
    world.fred.wait_for(
        type="Accept",
        predicate=lambda r: r["actor"] == world.seen["community"]["uri"],
        timeout=30,
    )
    assert set(world.seen["accounts"]) == {"bob", "carol", "fred"}


def test_a_members_post_reaches_the_other_member_in_mastodon_py(world: World) -> None:
    bob = world.client(world.b, "bob")
    status = bob.status_post(
        f"@staffroom@{world.a.domain} Staff meeting moved to Thursday #staffnews",
        visibility="direct",
    )
    world.seen["post"] = status["uri"]
    carol = world.client(world.c, "carol")
    entry = wait_until(
        lambda: next(
            (
                s
                for s in carol.timeline_home()
                if s["reblog"] and s["reblog"]["uri"] == status["uri"]
            ),
            None,
        ),
        timeout=30,
    )
    assert "Thursday" in entry["reblog"]["content"]
    # Not a private mention in the app: "private" (members read it), and our flag.
    assert entry["reblog"]["visibility"] == "private"
    assert entry["reblog"]["members_only"] is True
    assert entry["reblog"]["community_uri"] == world.seen["community"]["uri"]
    assert status["visibility"] == "private" and status["members_only"] is True
    # Nor is it filed among bob's private conversations.
    assert all((c["last_status"] or {}).get("uri") != status["uri"] for c in bob.conversations())
    # An app answers a "private" post as "private": the reply stays members-only,
    # and dave, who follows carol, does not get it as her followers-only post.
    dave = world.client(world.c, "dave")
    carol_account = carol.account_verify_credentials()
    dave.account_follow(carol_account["id"])
    wait_until(lambda: dave.account_relationships(carol_account["id"])[0]["following"])
    reply = carol.status_post(
        "Thanks, noted.", in_reply_to_id=entry["reblog"]["id"], visibility="private"
    )
    assert reply["visibility"] == "private" and reply["members_only"] is True
    world.seen["reply"] = reply["uri"]

    def bob_sees_reply() -> bool:
        own = next(s for s in bob.account_statuses(status["account"]["id"]))
        return any(s["uri"] == reply["uri"] for s in bob.status_context(own["id"])["descendants"])

    wait_until(bob_sees_reply, timeout=30)


def test_announces_went_only_to_members_nodes(world: World) -> None:
    async def inboxes(session: Any) -> set[str]:
        rows = await session.exec(
            select(Delivery.inbox_url)
            .join(Activity, col(Activity.id) == Delivery.activity_id)
            .where(Activity.type == "Announce", col(Activity.body).is_not(None))
        )
        return {url.split("/")[2] for url in rows.all()}

    hosts = world.a.with_session(inboxes)
    assert hosts == {world.b.domain, world.c.domain}  # fred is a member, his server is not
    assert not [r for r in world.fred.received() if "Thursday" in str(r["activity"])]
    assert not [r for r in world.fred.received() if "noted" in str(r["activity"])]

    async def software(session: Any) -> dict[str, tuple[str, bool]]:
        rows = await session.exec(select(PeerSoftware))
        return {r.host: (r.software, r.members_only) for r in rows.all()}

    known = world.a.with_session(software)
    assert known[world.b.domain] == ("staffroom", True)
    assert known[world.c.domain] == ("staffroom", True)
    fred_host = world.fred.actor.split("/")[2]
    assert known[fred_host][1] is False
    # alice's page for the community tells her so.
    with httpx.Client(base_url=world.a.base_url, timeout=30) as web:
        login = web.get("/login", headers={"Accept-Language": "en"}).text
        token = re.search(r'name="authenticity_token" value="([^"]+)"', login)
        assert token is not None
        form = {"authenticity_token": token.group(1), "username": "alice"}
        signed = web.post("/login", data={**form, "password": "correct horse battery"})
        assert signed.status_code == 303
        page = web.get("/communities/staffroom/manage", headers={"Accept-Language": "en"}).text
    notes = re.findall(r'id="member-\d+">.*?</li>', page, re.S)
    blind = [n for n in notes if "cannot keep members-only posts" in n]
    assert len(notes) == 3 and len(blind) == 1 and "fred" in blind[0]


def test_nobody_else_sees_the_post_by_any_door(world: World) -> None:
    uri = world.seen["post"]
    for node, who in ((world.a, "eve"), (world.c, "dave")):
        client = world.client(node, who)
        assert all(world.seen["reply"] != s["uri"] for s in client.timeline_home())
        assert all(uri != s["uri"] for s in client.timeline_home())
        assert all(uri != s["uri"] for s in client.timeline_public())
        assert all(uri != s["uri"] for s in client.timeline_hashtag("staffnews"))
        assert not client.search_v2(uri, resolve=True)["statuses"]
        assert not client.search_v2("Thursday")["statuses"]
        group = client.search_v2(f"staffroom@{world.a.domain}", resolve=True)["accounts"][0]
        assert client.account_statuses(group["id"]) == []
    for node in (world.a, world.b, world.c):
        with world.http(node) as http:
            assert all(uri != s["uri"] for s in http.get("/api/v1/timelines/public").json())
    # An unsigned fetch at the origin and at the community's node; a signed one by a stranger.
    assert httpx.get(uri, headers=AS_JSON).status_code == 404
    community_uri = world.seen["community"]["uri"]
    assert httpx.get(f"{community_uri}/followers", headers=AS_JSON).status_code == 404
    with pytest.raises(Exception, match="404") as failed:
        world.fred.lookup(uri)
    assert getattr(failed.value, "status", None) == 404
    with world.http(world.a, "eve") as http:
        base = f"{API}/{world.seen['community']['id']}"
        assert http.get(f"{base}/members").status_code == 404
    # A member sees the community's statuses and its members.
    carol = world.client(world.c, "carol")
    group = carol.account(world.seen["carol_group"])
    assert group["group"] is True


def test_a_material_in_the_community_stays_members_only(world: World) -> None:
    """Issue 12's community part: posted to the community, announced by it, members-only."""
    with world.http(world.a, "alice") as http:
        made = http.post(
            "/api/v1/staffroom/materials",
            data={
                "title": "Timetable for the spring term",
                "links[]": ["https://school7.example/timetable"],
                "type": "other",
                "community": world.seen["community"]["id"],
            },
        )
        assert made.status_code == 200, made.text
    with world.http(world.a, "eve") as http:
        refused = http.post(
            "/api/v1/staffroom/materials",
            data={
                "title": "x",
                "links[]": ["https://e.org"],
                "community": world.seen["community"]["id"],
            },
        )
        assert refused.status_code == 422 and "only members" in refused.json()["error"]
    uri = made.json()["uri"]
    # fred is a member, but a signed fetch from his server would hand it to that server.
    with pytest.raises(Exception, match="404"):
        world.fred.lookup(uri)
    with world.http(world.c, "carol") as http:
        group = world.seen["carol_group"]

        def found() -> list[str]:
            rows = http.get("/api/v1/staffroom/materials", params={"community": group}).json()
            return [m["uri"] for m in rows]

        assert wait_until(found, timeout=30) == [uri]
    for node, who in ((world.c, "dave"), (world.a, "eve"), (world.c, None), (world.a, None)):
        with world.http(node, who) as http:
            listed = http.get("/api/v1/staffroom/materials").json()
            assert uri not in [m["uri"] for m in listed], (node.domain, who)
    assert httpx.get(uri, headers=AS_JSON).status_code == 404


EVENTS = "/api/v1/staffroom/events"


def _listed(world: World, who: str, uri: str) -> dict[str, Any] | None:
    with world.http(world.c, who) as http:
        found = http.get(EVENTS, params={"limit": 80}).json()
    return next((e for e in found if e["uri"] == uri), None)


def test_the_communitys_event_reaches_its_member_on_c(world: World) -> None:
    """Issue 13, part 1: a members-only community's event (was its own two-node module)."""
    with world.http(world.a, "alice") as http:
        posted = http.post(
            EVENTS,
            json={
                "title": "Methodists' seminar",
                "start_time": "2033-02-01T15:00:00",
                "end_time": "2033-02-01T17:00:00",
                "timezone": "Europe/Moscow",
                "community": world.seen["community"]["id"],
            },
        )
    assert posted.status_code == 200, posted.text
    uri = posted.json()["uri"]
    remote = wait_until(lambda: _listed(world, "carol", uri), timeout=30)
    assert remote["local"] is False and remote["start_time"].startswith("2033-02-01T12:00")
    world.seen.update(event_uri=uri, event_remote_id=remote["id"], event_id=posted.json()["id"])


def test_carol_joins_the_event_and_the_origin_accepts(world: World) -> None:
    with world.http(world.c, "carol") as http:
        joined = http.post(f"{EVENTS}/{world.seen['event_remote_id']}/join")
    assert joined.status_code == 200, joined.text
    wait_until(
        lambda: (
            (_listed(world, "carol", world.seen["event_uri"]) or {}).get("participation")
            == "accepted"
        ),
        timeout=30,
    )
    with world.http(world.a, "alice") as http:
        people = http.get(f"{EVENTS}/{world.seen['event_id']}/participants").json()
    assert [p["account"]["acct"] for p in people] == [f"carol@{world.c.domain}"]


def test_a_stranger_sees_nothing_of_the_event_and_cannot_join(world: World) -> None:
    assert _listed(world, "dave", world.seen["event_uri"]) is None
    with world.http(world.c, "dave") as http:
        assert http.get(f"{EVENTS}/{world.seen['event_remote_id']}").status_code == 404
        assert http.post(f"{EVENTS}/{world.seen['event_remote_id']}/join").status_code == 404
    assert httpx.get(world.seen["event_uri"], headers=AS_JSON, timeout=20).status_code in (
        401,
        403,
        404,
    )
    with world.http(world.a, "alice") as http:
        people = http.get(f"{EVENTS}/{world.seen['event_id']}/participants").json()
    assert len(people) == 1
    # fred is a member, on a server that does not keep members-only posts: nothing.
    assert not [r for r in world.fred.received() if "Methodists" in str(r["activity"])]


def test_a_removed_member_stops_receiving_at_once(world: World) -> None:
    base = f"{API}/{world.seen['community']['id']}"
    with world.http(world.a, "alice") as http:
        carol_id = world.seen["accounts"]["carol"]
        assert http.post(f"{base}/members/{carol_id}/remove").status_code == 200
    carol = world.client(world.c, "carol")
    wait_until(
        lambda: not carol.account_relationships(world.seen["carol_group"])[0]["following"],
        timeout=30,
    )
    bob = world.client(world.b, "bob")
    later = bob.status_post(
        f"@staffroom@{world.a.domain} Only bob is left to read this", visibility="direct"
    )

    async def hosts_for_later(session: Any) -> set[str]:
        rows = await session.exec(
            select(Delivery.inbox_url, Activity.body)
            .join(Activity, col(Activity.id) == Delivery.activity_id)
            .where(Activity.type == "Announce")
        )
        return {url.split("/")[2] for url, body in rows.all() if later["uri"] in str(body)}

    hosts = wait_until(lambda: world.a.with_session(hosts_for_later), timeout=30)
    assert hosts == {world.b.domain}
