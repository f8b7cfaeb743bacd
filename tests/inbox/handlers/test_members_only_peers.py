"""Members-only communities and servers that do not understand them (issue 11, part 4).

A member whose server is no Staffroom node (here: a server without NodeInfo,
as the Fedify peer is, and one whose NodeInfo points at another host's) is a
member in name only: the community's Announces of members' posts go to the
servers whose NodeInfo says ``staffroom`` and to no other, and such a
member's signed fetch is not a member's. Real HTTP on loopback, real
NodeInfo documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from actors.peers import FRESH, RETRY, learn
from content.visibility import member_of_addressed_community
from storage.models import CommunityVisibility, Follow, FollowState, PeerSoftware
from storage.types import utcnow
from tests.inbox.handlers.conftest import Harness
from tests.inbox.handlers.test_communities import community, mbin_follow
from tests.support.remote import RemoteServer, remote_server


def serve_nodeinfo(server: RemoteServer, software: str, doc_host: str | None = None) -> None:
    href = f"{doc_host or server.base_url}/nodeinfo/2.1"
    server.serve(
        {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": href}]},
        "/.well-known/nodeinfo",
    )
    server.serve({"version": "2.1", "software": {"name": software}}, "/nodeinfo/2.1")


@pytest.fixture(scope="module")
def mastodon() -> Iterator[RemoteServer]:
    with remote_server() as server:
        yield server


async def test_a_members_only_post_reaches_only_servers_that_keep_it_for_members(
    world: Harness, mastodon: RemoteServer
) -> None:
    serve_nodeinfo(world.remote, "staffroom")
    ours, theirs = world.remote.add_actor("teacher"), mastodon.add_actor("parent")
    group = await community(world, "staff", visibility=CommunityVisibility.MEMBERS)
    for member in (ours, theirs):
        item = await world.receive(mbin_follow(world, member, group))
        assert item.state == "processed", item.error
    assert len(await world.rows(Follow, state=FollowState.ACCEPTED)) == 2
    # The parent's server got its Accept: joining is allowed, reading is not.
    assert [a["type"] for a in await world.deliveries_to(f"{mastodon.base_url}/inbox")] == [
        "Accept"
    ]
    post = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ours.id}/activities/create/1",
        "type": "Create",
        "actor": ours.id,
        "to": [group.ap_id],
        "object": {
            "id": f"{ours.id}/statuses/1",
            "type": "Note",
            "attributedTo": ours.id,
            "content": "<p>@staff The inspection is on Monday</p>",
            "to": [group.ap_id],
            "tag": [{"type": "Mention", "href": group.ap_id, "name": "@staff"}],
            "published": "2026-12-07T05:00:00Z",
        },
    }
    item = await world.receive(post)
    assert item.state == "processed", item.error
    sent = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert [a["type"] for a in sent if a["type"] == "Announce"] == ["Announce", "Announce"]
    leaked = await world.deliveries_to(f"{mastodon.base_url}/inbox")
    assert [a["type"] for a in leaked] == ["Accept"]
    assert "Monday" not in str(leaked)
    known = {r.host: (r.software, r.members_only) for r in await world.rows(PeerSoftware)}
    assert known[world.remote.base_url.split("/")[2]] == ("staffroom", True)
    assert known[mastodon.base_url.split("/")[2]] == ("", False)
    # A signed fetch by the parent is not a member's; the teacher's is.
    async with world.node.sessions() as session:
        for who, reads in ((theirs, False), (ours, True)):
            viewer = await world.actor(who.id)
            assert viewer is not None
            assert await member_of_addressed_community(session, viewer, {group.ap_id}) is reads


async def test_nodeinfo_on_another_host_does_not_make_a_server_ours(
    world: Harness, mastodon: RemoteServer
) -> None:
    serve_nodeinfo(world.remote, "staffroom")
    serve_nodeinfo(mastodon, "mastodon", doc_host=world.remote.base_url)
    group = await community(world, "club", visibility=CommunityVisibility.MEMBERS)
    await world.receive(mbin_follow(world, mastodon.add_actor("mimic"), group))
    row = await world.row(PeerSoftware, host=mastodon.base_url.split("/")[2])
    assert row is not None and row.members_only is False and row.software == ""


async def test_what_a_server_runs_is_cached_and_an_outage_keeps_the_last_answer(
    world: Harness, mastodon: RemoteServer
) -> None:
    serve_nodeinfo(world.remote, "staffroom")
    host = world.remote.base_url.split("/")[2]
    async with world.node.sessions() as session:
        await learn(session, world.node, [f"{world.remote.base_url}/users/a"])
        await session.commit()
    row = await world.row(PeerSoftware, host=host)
    assert row.members_only and row.expires_at - row.checked_at == FRESH
    # Expired, and the server is down: the answer stands, asked again in an hour.
    world.remote.serve(503, "/.well-known/nodeinfo")
    async with world.node.sessions() as session:
        stale = await session.get(PeerSoftware, host)
        stale.expires_at = stale.checked_at
        await session.commit()
        await learn(session, world.node, [world.remote.base_url])
        await session.commit()
    row = await world.row(PeerSoftware, host=host)
    assert row.software == "staffroom" and row.members_only
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= RETRY
    # Never-asked hosts go first, and no more than ``limit`` per call.
    async with world.node.sessions() as session:
        await learn(session, world.node, [world.remote.base_url, mastodon.base_url], limit=1)
        await session.commit()
    assert {r.host for r in await world.rows(PeerSoftware)} == {
        host,
        mastodon.base_url.split("/")[2],
    }
    serve_nodeinfo(world.remote, "staffroom")  # for the other tests of the module
