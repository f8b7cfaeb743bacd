"""A community on node A with members on B, C and the Fedify peer, told in order (issue 11).

Node A (PostgreSQL when configured) holds alice, who owns the community
``chem`` (open) and ``club`` (by approval); node B holds bob, node C holds
carol and dave; fred is on the Fedify peer. bob and carol join from
Mastodon.py clients by following the community, fred with a Follow. bob
posts by mentioning ``@chem@A``; carol and fred receive the community's
Announces; carol's reply threads under it on every node; dave (no member)
is refused and nothing is announced; ``club`` waits for alice's approval;
alice's removal of a post reaches every node as an announced Delete; a
banned member's posts are refused; and when bob leaves, B gets nothing more.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from sqlmodel import col, select

from content.communities import manage, membership, moderation, posting
from content.communities.manage import CommunityDraft
from content.objects import object_by_ap_id
from storage.models import (
    Activity,
    Actor,
    ContentObject,
    Delivery,
    InboxItem,
    JoinPolicy,
)
from tests.support.node import Node, wait_until
from tests.support.world import World, world_fixture

AS_JSON = {"Accept": "application/activity+json"}


world = world_fixture(
    "communities",
    {"a": ("alice",), "b": ("bob",), "c": ("carol", "dave")},
    peer="fred",
)


def _on_a(world: World, work: Any) -> Any:
    return world.a.with_node(work)


def _actor(session: Any, ap_id: str) -> Any:
    return session.exec(select(Actor).where(Actor.ap_id == ap_id))


def _find(client: Mastodon, handle: str) -> dict[str, Any]:
    found = client.search_v2(handle, resolve=True)["accounts"]
    assert found, f"{handle} not found"
    return found[0]


@pytest.mark.timeout(300)  # four CLI runs and three nodes starting, on a busy machine
def test_a_community_is_created_and_found_by_webfinger(world: World) -> None:
    result = world.a.staffroom(
        "communities",
        "create",
        "chem",
        "--display-name",
        "Chemistry teachers",
        "--owner",
        "alice",
        "--subject",
        "chemistry",
        "--level",
        "regional",
        "--kind",
        "subject_association",
    )
    assert result.returncode == 0, result.stderr
    closed = world.a.staffroom("communities", "create", "club", "--closed")
    assert closed.returncode == 0, closed.stderr
    listing = world.a.staffroom("communities", "list")
    assert "chem\tChemistry teachers\tjoin=open" in listing.stdout
    assert "club\tclub\tjoin=approval" in listing.stdout
    bad = world.a.staffroom("communities", "create", "alice", "--level", "galactic")
    assert bad.returncode == 1 and "unknown level" in bad.stderr

    jrd = httpx.get(
        f"{world.a.base_url}/.well-known/webfinger",
        params={"resource": f"acct:chem@{world.a.domain}"},
    ).json()
    actor_url = next(link["href"] for link in jrd["links"] if link.get("rel") == "self")
    doc = httpx.get(actor_url, headers=AS_JSON).json()
    assert doc["type"] == "Group"
    assert doc["name"] == "Chemistry teachers"
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["postingRestrictedToMods"] is False and doc["membersOnly"] is False
    assert doc["schoolSubject"] == ["chemistry"] and doc["communityLevel"] == "regional"
    assert doc["followers"] == f"{actor_url}/followers"
    mods = httpx.get(doc["moderators"], headers=AS_JSON).json()
    assert mods["orderedItems"] == [f"{world.a.base_url}/users/alice"]
    listed = httpx.get(f"{world.a.base_url}/api/v1/directory", params={"local": "true"}).json()
    assert {"chem", "club", "alice"} <= {a["acct"] for a in listed}
    assert next(a for a in listed if a["acct"] == "chem")["group"] is True
    club = httpx.get(f"{world.a.base_url}/users/club", headers=AS_JSON).json()
    assert club["manuallyApprovesFollowers"] is True and club["joinPolicy"] == "approval"
    world.seen["chem"] = actor_url


def test_members_join_from_two_nodes_and_the_fedify_peer(world: World) -> None:
    handle = f"chem@{world.a.domain}"
    for node, who in ((world.b, "bob"), (world.c, "carol")):
        client = world.client(node, who)
        group = _find(client, handle)
        assert group["group"] is True
        client.account_follow(group["id"])
        wait_until(lambda c=client, g=group: c.account_relationships(g["id"])[0]["following"])
        world.seen[f"{who}_chem"] = group["id"]
    # C counts the community's members as A does (bob and carol when carol was
    # accepted), not its own one: in the API's directory and on the web page.
    with httpx.Client(base_url=world.c.base_url, timeout=30) as http:
        auth = {"Authorization": f"Bearer {world.tokens['carol']}"}
        listed = http.get("/api/v1/staffroom/communities", headers=auth).json()
        [chem] = [c for c in listed if c["uri"] == world.seen["chem"]]
        assert chem["members_count"] == 2
        shown = http.get(f"/api/v1/staffroom/communities/{chem['id']}", headers=auth).json()
        assert shown["members_count"] == 2
        page = http.get("/communities", headers={"Accept-Language": "en"}).text
        assert "Chemistry teachers" in page and "2 members" in page
    world.fred.follow(world.seen["chem"])
    world.fred.wait_for(
        type="Accept", predicate=lambda r: r["actor"] == world.seen["chem"], timeout=30
    )
    followers = httpx.get(f"{world.seen['chem']}/followers", headers=AS_JSON).json()
    assert followers["totalItems"] == 3


def test_a_members_post_is_announced_to_every_member(world: World) -> None:
    bob = world.client(world.b, "bob")
    status = bob.status_post(f"@chem@{world.a.domain} Who has a good titration lab?")
    uri = status["uri"]
    world.seen["post"] = uri
    # The FEP-1b12 Announce of the Create, and Lemmy's Announce of the object itself.
    wrapped = world.fred.wait_for(
        type="Announce",
        predicate=lambda r: (
            isinstance(r["activity"]["object"], dict)
            and r["activity"]["object"].get("object", {}).get("id") == uri
        ),
        timeout=30,
    )
    assert wrapped["actor"] == world.seen["chem"]
    assert wrapped["activity"]["object"]["type"] == "Create"
    assert wrapped["activity"]["object"]["actor"].endswith("/users/bob")
    world.fred.wait_for(
        type="Announce", predicate=lambda r: r["activity"]["object"] == uri, timeout=30
    )
    carol = world.client(world.c, "carol")
    entry = wait_until(
        lambda: next(
            (s for s in carol.timeline_home() if s["reblog"] and s["reblog"]["uri"] == uri), None
        ),
        timeout=30,
    )
    assert entry["account"]["acct"] == f"chem@{world.a.domain}"
    assert "titration" in entry["reblog"]["content"]
    world.seen["carol_sees"] = entry["reblog"]["id"]


def test_a_reply_from_another_node_threads_under_it_everywhere(world: World) -> None:
    carol = world.client(world.c, "carol")
    reply = carol.status_post(
        "Try the burette from the old lab.", in_reply_to_id=world.seen["carol_sees"]
    )
    world.seen["reply"] = reply["uri"]
    world.fred.wait_for(
        type="Announce",
        predicate=lambda r: (
            isinstance(r["activity"]["object"], dict)
            and r["activity"]["object"].get("object", {}).get("id") == reply["uri"]
        ),
        timeout=30,
    )
    bob = world.client(world.b, "bob")

    def threaded() -> bool:
        own = next(s for s in bob.timeline_home() if s["uri"] == world.seen["post"])
        return any(s["uri"] == reply["uri"] for s in bob.status_context(own["id"])["descendants"])

    wait_until(threaded, timeout=30)

    async def on_a(session: Any, _node: Any) -> tuple[str | None, list[str]]:
        stored = await object_by_ap_id(session, reply["uri"])
        assert stored is not None
        holders = await posting.communities_holding(session, stored)
        return stored.in_reply_to, [a.ap_id for a, _ in holders]

    in_reply_to, held = _on_a(world, on_a)
    assert in_reply_to == world.seen["post"] and held == [world.seen["chem"]]


def test_a_non_members_post_is_refused_and_announced_to_nobody(world: World) -> None:
    dave = world.client(world.c, "dave")
    status = dave.status_post(f"@chem@{world.a.domain} Buy my textbooks!")

    def refused() -> InboxItem | None:
        async def work(session: Any) -> InboxItem | None:
            return (
                await session.exec(
                    select(InboxItem).where(
                        InboxItem.activity_type == "Create", InboxItem.state == "rejected"
                    )
                )
            ).first()

        return world.a.with_session(work)

    item = wait_until(refused, timeout=30)
    assert "members" in (item.error or "")

    async def stored(session: Any) -> ContentObject | None:
        return await object_by_ap_id(session, status["uri"])

    assert world.a.with_session(stored) is None
    assert not [
        r
        for r in world.fred.received(type="Announce")
        if status["uri"] in str(r["activity"]["object"])
    ]


def test_joining_a_community_by_approval_waits_for_a_moderator(world: World) -> None:
    bob = world.client(world.b, "bob")
    club = _find(bob, f"club@{world.a.domain}")
    assert club["locked"] is True
    bob.account_follow(club["id"])
    wait_until(lambda: bob.account_relationships(club["id"])[0]["requested"], timeout=30)

    async def pending(session: Any, _node: Any) -> list[str]:
        found = await manage.community_by_name(session, "club")
        assert found is not None
        return [a.ap_id for a in await membership.pending(session, found[0])]

    wait_until(lambda: _on_a(world, pending), timeout=30)
    assert not bob.account_relationships(club["id"])[0]["following"]

    requesters = _on_a(world, pending)
    assert len(requesters) == 1 and requesters[0].endswith("/users/bob")

    async def approve_bob(session: Any, node: Any) -> None:
        found = await manage.community_by_name(session, "club")
        assert found is not None
        requester = (await _actor(session, requesters[0])).one()
        await membership.approve_request(session, node, found[0], requester)

    _on_a(world, approve_bob)
    wait_until(lambda: bob.account_relationships(club["id"])[0]["following"], timeout=30)


def test_a_moderators_removal_reaches_every_node_as_a_delete(world: World) -> None:
    async def remove(session: Any, node: Any) -> None:
        found = await manage.community_by_name(session, "chem")
        assert found is not None
        alice = (await _actor(session, f"{world.a.base_url}/users/alice")).one()
        obj = await object_by_ap_id(session, world.seen["reply"])
        assert obj is not None
        await moderation.moderate_delete(session, node, found[0], alice, obj)

    _on_a(world, remove)
    world.fred.wait_for(
        type="Announce",
        predicate=lambda r: (
            isinstance(r["activity"]["object"], dict)
            and r["activity"]["object"].get("type") == "Delete"
            and r["activity"]["object"].get("object") == world.seen["reply"]
        ),
        timeout=30,
    )

    def gone_on(node: Node) -> bool:
        async def work(session: Any) -> bool:
            obj = await object_by_ap_id(session, world.seen["reply"])
            return obj is not None and obj.deleted_at is not None

        return node.with_session(work)

    wait_until(lambda: gone_on(world.b), timeout=30)
    assert gone_on(world.a)


def test_a_banned_members_posts_are_refused(world: World) -> None:
    async def ban(session: Any, node: Any) -> None:
        found = await manage.community_by_name(session, "chem")
        assert found is not None
        carol = (await _actor(session, f"{world.c.base_url}/users/carol")).one()
        assert await membership.ban(session, node, found[0], carol, "spam")

    _on_a(world, ban)
    carol = world.client(world.c, "carol")
    group_id = world.seen["carol_chem"]
    wait_until(lambda: not carol.account_relationships(group_id)[0]["following"], timeout=30)
    status = carol.status_post(f"@chem@{world.a.domain} Am I still here?")

    def refused() -> bool:
        async def work(session: Any) -> bool:
            rows = await session.exec(
                select(InboxItem).where(
                    InboxItem.activity_type == "Create", InboxItem.state == "rejected"
                )
            )
            return any(status["uri"] in str(i.body) for i in rows.all())

        return world.a.with_session(work)

    wait_until(refused, timeout=30)
    # A new join is refused too.
    carol.account_follow(group_id)

    def rejected_again() -> bool:
        async def work(session: Any) -> bool:
            rows = await session.exec(select(Activity).where(Activity.type == "Reject"))
            return len(rows.all()) >= 2

        return world.a.with_session(work)

    wait_until(rejected_again, timeout=30)
    assert not carol.account_relationships(group_id)[0]["following"]


def test_leaving_stops_deliveries_to_that_node(world: World) -> None:
    bob = world.client(world.b, "bob")
    bob.account_unfollow(world.seen["bob_chem"])

    async def members(session: Any, _node: Any) -> list[str]:
        found = await manage.community_by_name(session, "chem")
        assert found is not None
        return [a.ap_id for a in await membership.members(session, found[0])]

    wait_until(lambda: all("users/bob" not in m for m in _on_a(world, members)), timeout=30)
    note = world.fred.post(
        "Fred's question for the chemists", to="public", mentions=[f"chem@{world.a.domain}"]
    )
    note_id = note["object"]  # the Note's id (the Create's is note["id"])
    world.fred.wait_for(
        type="Announce",
        predicate=lambda r: r["activity"]["object"] == note_id,
        timeout=30,
    )

    async def inboxes(session: Any) -> set[str]:
        rows = await session.exec(
            select(Delivery.inbox_url)
            .join(Activity, col(Activity.id) == Delivery.activity_id)
            .where(Activity.object_ap_id == note_id)
        )
        return set(rows.all())

    sent_to = world.a.with_session(inboxes)
    assert sent_to, "the community announced the post to somebody"
    assert not any(world.b.domain in url for url in sent_to)


def test_a_join_to_a_community_by_invitation_needs_an_invitation(world: World) -> None:
    async def create(session: Any, node: Any) -> None:
        await manage.create_community(
            session,
            node.config,
            CommunityDraft(name="staff", join_policy=JoinPolicy.INVITATION),
            None,
        )

    _on_a(world, create)
    dave = world.client(world.c, "dave")
    staff = _find(dave, f"staff@{world.a.domain}")
    dave.account_follow(staff["id"])

    def answered() -> bool:
        async def work(session: Any) -> bool:
            rows = await session.exec(
                select(Activity).where(Activity.type == "Reject", col(Activity.body).is_not(None))
            )
            return any("users/dave" in str(r.body) for r in rows.all())

        return world.a.with_session(work)

    wait_until(answered, timeout=30)
    assert not dave.account_relationships(staff["id"])[0]["following"]
