"""Communities in the inbox, with real Lemmy and Mbin payloads (FEP-1b12).

Ours: a Follow (Mbin's ``Follow`` of a magazine) is a join under the join
policy; a post addressed to the community by a member is announced twice
(the Create for group-aware servers, the object for Mastodon), by anyone
else refused with nothing kept; a flood of joins from one host is refused.
Theirs: Lemmy's ``Announce{Create{Page}}`` stores the post as the
community's; Mbin's ``Announce{Delete}`` by a moderator tombstones a post
the magazine announced, and only such a post; a forged Announce and an
Announce of a post nobody can fetch keep nothing. Other servers' groups:
a NodeBB category and a Mobilizon group (their real actor documents, and
the topic and event they would announce) are joined by our member and
their announced posts kept as theirs; a PieFed feed is no group.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from actors.as2 import InvalidActorError
from actors.graph import follow
from actors.ratelimit import Rate
from content.communities import manage, membership, moderation
from content.communities.manage import CommunityDraft
from federation.constants import PUBLIC
from federation.errors import FederationError
from storage.models import (
    Actor,
    Announce,
    CommunityPost,
    ContentObject,
    EventRow,
    Featured,
    Follow,
    FollowState,
    JoinPolicy,
)
from tests.inbox.handlers.conftest import Harness, adapt
from tests.support.remote import RemoteActor


async def community(world: Harness, name: str = "chem", **draft: Any) -> Actor:
    async with world.node.sessions() as session:
        actor, _ = await manage.create_community(
            session, world.node.config, CommunityDraft(name=name, **draft), None
        )
        await session.commit()
        return actor


def mbin(name: str, hosts: dict[str, str]) -> dict[str, Any]:
    """An Mbin payload; its own context document (``/contexts``) is not one we bundle."""
    body = adapt(name, hosts)
    body["@context"] = [c for c in body["@context"] if not c.endswith("/contexts")]
    return body


def mbin_follow(world: Harness, joiner: RemoteActor, group: Actor, n: int = 0) -> dict[str, Any]:
    body = mbin("mbin/activity-follow-group.json", {"https://kbin.test": world.remote.base_url})
    body["id"] = f"{joiner.id}/follows/{n}"
    body["actor"] = joiner.id
    body["object"] = group.ap_id
    return body


async def joined(world: Harness, who: RemoteActor) -> str | None:
    actor = await world.actor(who.id)
    row = await world.row(Follow, follower_id=actor.id) if actor else None
    return row.state if row else None


async def test_mbin_follow_of_an_open_community_is_accepted(world: Harness) -> None:
    user = world.remote.add_actor("user2")
    group = await community(world)
    assert (await world.receive(mbin_follow(world, user, group))).state == "processed"
    assert await joined(world, user) == FollowState.ACCEPTED
    [accept] = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert accept["type"] == "Accept" and accept["actor"] == group.ap_id


async def test_joins_wait_for_approval_and_invitations_and_bans_refuse(world: Harness) -> None:
    user = world.remote.add_actor("user2")
    closed = await community(world, "club", join_policy=JoinPolicy.APPROVAL)
    await world.receive(mbin_follow(world, user, closed))
    assert await joined(world, user) == FollowState.PENDING
    staff = await community(world, "staff", join_policy=JoinPolicy.INVITATION)
    other = world.remote.add_actor("other")
    await world.receive(mbin_follow(world, other, staff))
    assert await joined(world, other) == FollowState.REJECTED
    async with world.node.sessions() as session:
        assert await membership.invite(session, staff, other.id)
        await session.commit()
    await world.receive(mbin_follow(world, other, staff, 1))
    assert await joined(world, other) == FollowState.ACCEPTED
    async with world.node.sessions() as session:
        found = await manage.community_by_name(session, "staff")
        banned = await session.get(Actor, (await world.actor(other.id)).id)
        assert found is not None and banned is not None
        await membership.ban(session, world.node, found[0], banned)
        await session.commit()
    await world.receive(mbin_follow(world, other, staff, 2))
    assert await joined(world, other) == FollowState.REJECTED
    types = [a["type"] for a in await world.deliveries_to(f"{world.remote.base_url}/inbox")]
    assert types == ["Reject", "Accept", "Reject", "Reject"]


async def test_a_flood_of_joins_from_one_host_is_refused(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(membership, "JOIN_RATE", Rate(3, 300))
    group = await community(world, join_policy=JoinPolicy.APPROVAL)
    states = []
    for n in range(5):
        user = world.remote.add_actor(f"flood{n}")
        states.append((await world.receive(mbin_follow(world, user, group, n))).state)
    assert states == ["processed"] * 3 + ["rejected"] * 2
    assert len(await world.rows(Follow)) == 3


def note_to(author: RemoteActor, group: Actor, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{author.id}/activities/create/{n}",
        "type": "Create",
        "actor": author.id,
        "to": [PUBLIC],
        "cc": [group.ap_id],
        "object": {
            "id": f"{author.id}/statuses/{n}",
            "type": "Note",
            "attributedTo": author.id,
            "content": f"<p>@chem a question about titration {n}</p>",
            "to": [PUBLIC],
            "cc": [group.ap_id],
            "tag": [{"type": "Mention", "href": group.ap_id, "name": "@chem"}],
            "published": "2026-12-07T05:00:00Z",
            **extra,
        },
    }


async def test_a_members_post_is_announced_and_a_strangers_refused(world: Harness) -> None:
    member = world.remote.add_actor("member")
    stranger = world.remote.add_actor("stranger")
    group = await community(world)
    await world.receive(mbin_follow(world, member, group))
    refused = await world.receive(note_to(stranger, group, 1))
    assert refused.state == "rejected" and "members" in (refused.error or "")
    assert await world.obj(f"{stranger.id}/statuses/1") is None
    item = await world.receive(note_to(member, group, 2))
    assert item.state == "processed", item.error
    post = await world.obj(f"{member.id}/statuses/2")
    assert post is not None
    sent = [
        a
        for a in await world.deliveries_to(f"{world.remote.base_url}/inbox")
        if a["type"] == "Announce"
    ]
    assert [type(a["object"]).__name__ for a in sent] == ["dict", "str"]
    wrapped, plain = sent
    assert wrapped["object"]["type"] == "Create" and wrapped["object"]["object"]["id"] == post.ap_id
    assert plain["object"] == post.ap_id
    assert wrapped["to"] == [PUBLIC] and wrapped["cc"] == [group.followers_url]
    assert await world.row(CommunityPost, object_id=post.id) is not None
    # Redelivered: announced once.
    body = note_to(member, group, 2)
    body["id"] += "/again"
    await world.receive(body)
    again = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert len([a for a in again if a["type"] == "Announce"]) == 2


def lemmy_group(world: Harness, name: str = "main") -> RemoteActor:
    group = world.remote.add_actor(name)
    group.overrides = {"type": "Group", "postingRestrictedToMods": False}
    return group


async def test_lemmy_announce_of_a_create_page_is_the_communitys_post(world: Harness) -> None:
    group = lemmy_group(world)
    author = world.remote.add_actor("lemmy_beta")
    body = adapt(
        "lemmy/activity-community-announce-create-page.json",
        {
            "http://enterprise.lemmy.ml/c/main": group.id,
            "http://enterprise.lemmy.ml/u/main": group.id,
            "http://enterprise.lemmy.ml/u/lemmy_beta": author.id,
            "http://enterprise.lemmy.ml": world.remote.base_url,
        },
    )
    page = body["object"]["object"]
    world.remote.serve(page)
    item = await world.receive(body)
    assert item.state == "processed", item.error
    stored = await world.obj(page["id"])
    assert stored is not None and stored.type == "Page" and stored.name == "post 4"
    group_row = await world.actor(group.id)
    assert group_row is not None and group_row.type == "Group"
    assert await world.row(CommunityPost, community_id=group_row.id) is not None
    assert (await world.row(Announce, actor_id=group_row.id)).object_id == stored.id


async def test_mbin_announced_delete_by_a_moderator(world: Harness) -> None:
    magazine = lemmy_group(world, "test")
    author = world.remote.add_actor("user")
    kept = await world.post(await world.known(author))
    announced = await world.post(await world.known(author))
    group_row = await world.known(magazine)
    async with world.node.sessions() as session:
        session.add(CommunityPost(community_id=group_row.id, object_id=announced.id))
        await session.commit()
    for n, target in enumerate((kept, announced)):
        body = mbin(
            "mbin/activity-announce-delete-by-moderator.json",
            {"https://kbin.test/m/test": magazine.id, "https://kbin.test": world.remote.base_url},
        )
        body["id"] = f"{magazine.id}/announce/{n}"
        body["object"]["id"] = f"{world.remote.base_url}/u/owner/delete/{n}"
        body["object"]["object"]["id"] = target.ap_id
        assert (await world.receive(body)).state == "processed"
    assert (await world.obj(kept.ap_id)).deleted_at is None  # not the magazine's to remove
    assert (await world.obj(announced.ap_id)).deleted_at is not None


async def test_forged_and_unfetchable_announces_keep_nothing(world: Harness) -> None:
    group = lemmy_group(world)
    forger = world.remote.add_actor("forger")
    body = adapt(
        "lemmy/activity-community-announce-create-page.json",
        {
            "http://enterprise.lemmy.ml/c/main": group.id,
            "http://enterprise.lemmy.ml/u/lemmy_beta": forger.id,
            "http://enterprise.lemmy.ml": world.remote.base_url,
        },
    )
    # A community on another origin than the activity: the edge refuses it.
    forged = dict(body, id="https://elsewhere.example/activities/announce/1")
    with pytest.raises(FederationError):
        await world.receive(forged)
    # The announced page is on another origin, cannot be fetched and does not
    # address the community: refused, nothing stored.
    body["object"]["object"]["id"] = "https://unreachable.invalid/post/1"
    body["object"]["object"]["to"] = [PUBLIC]
    body["object"]["id"] = "https://unreachable.invalid/activities/create/1"
    item = await world.receive(body)
    assert item.state == "rejected"
    assert await world.rows(ContentObject) == []
    assert await world.rows(CommunityPost) == []


async def test_moderators_pin_and_lock_and_members_cannot(world: Harness) -> None:
    member = world.remote.add_actor("member")
    group = await community(world)
    await world.receive(mbin_follow(world, member, group))
    assert (await world.receive(note_to(member, group, 1))).state == "processed"
    root = await world.obj(f"{member.id}/statuses/1")
    owner = await world.local("owner")
    async with world.node.sessions() as session:
        group_row = await session.get(Actor, group.id)
        post = await session.get(ContentObject, root.id)
        as_member = await session.get(Actor, (await world.actor(member.id)).id)
        with pytest.raises(manage.CommunityError, match="moderators"):
            await moderation.set_locked(session, group_row, as_member, post, True)
        await manage.add_moderator(session, group_row, await session.get(Actor, owner.id))
        await moderation.set_pinned(session, world.node, group_row, owner, post, True)
        await moderation.set_locked(session, group_row, owner, post, True)
        await session.commit()
    added = [
        a for a in await world.deliveries_to(f"{world.remote.base_url}/inbox") if a["type"] == "Add"
    ]
    assert added and added[0]["target"] == group.featured_url
    featured = await world.rows(Featured, actor_id=group.id)
    assert [f.object_ap_id for f in featured] == [root.ap_id]
    reply = note_to(member, group, 2)
    reply["object"]["inReplyTo"] = root.ap_id
    refused = await world.receive(reply)
    assert refused.state == "rejected" and "locked" in (refused.error or "")
    assert await world.obj(f"{member.id}/statuses/2") is None


# -- other servers' groups: PieFed, Mobilizon, NodeBB (real actor and object shapes) --


async def joined_remote_group(world: Harness, group_id: str) -> Actor:
    """Our teacher joins ``group_id`` (a Follow out), and the group accepts (an Accept in)."""
    teacher = await world.local("teacher")
    group = await world.node.remote.get(group_id)
    async with world.node.sessions() as session:
        row = await follow(session, world.node, await session.get(Actor, teacher.id), group)
        await session.commit()
    [sent] = [a for a in await world.published("Follow") if a.body["object"] == group_id]
    assert sent.body["actor"] == teacher.ap_id
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{group_id}/accepts/{row.id}",
        "type": "Accept",
        "actor": group_id,
        "object": row.activity_ap_id,
    }
    assert (await world.receive(accept)).state == "processed"
    assert (await world.row(Follow, follower_id=teacher.id)).state == FollowState.ACCEPTED
    return group


def announce(group_id: str, object_id: str, n: int = 1) -> dict[str, Any]:
    """The group's ``Announce`` of a post, as every group server sends it to followers."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{group_id}/announces/{n}",
        "type": "Announce",
        "actor": group_id,
        "to": [PUBLIC],
        "cc": [f"{group_id}/followers"],
        "object": object_id,
    }


async def test_a_nodebb_category_is_joined_and_its_announced_topic_kept(world: Harness) -> None:
    hosts = {"https://bb.devnull.land": world.remote.base_url}
    category = adapt("nodebb/object-group.json", hosts)
    category.pop("publicKey")  # the harness signs nothing; keys are not the point here
    world.remote.serve(category)
    author = world.remote.add_actor("uid1")
    topic = adapt("nodebb/object-page.json", {**hosts, "https://bb.devnull.land/uid/1": author.id})
    world.remote.serve(topic)
    group = await joined_remote_group(world, category["id"])
    assert group.type == "Group" and group.display_name == "General Discussion"
    item = await world.receive(announce(category["id"], topic["id"]))
    assert item.state == "processed", item.error
    stored = await world.obj(topic["id"])
    assert stored is not None and stored.name == "Welcome to your NodeBB!"
    assert await world.row(CommunityPost, community_id=group.id, object_id=stored.id)


async def test_a_mobilizon_group_is_joined_and_its_announced_event_kept(world: Harness) -> None:
    hosts = {"https://mobilizon.fr": world.remote.base_url}
    group_doc = adapt("mobilizon/object-group.json", hosts)
    group_doc.pop("publicKey")
    # The fixture event is organized by another Mobilizon group: the group's
    # shape (mobilizon.fr's), under that group's name.
    organizer = f"{world.remote.base_url}/@devon_caledonian_society"
    group_doc = json.loads(
        json.dumps(group_doc).replace(f"{world.remote.base_url}/@contribateliers", organizer)
    )
    world.remote.serve(group_doc)
    event = adapt(
        "mobilizon/object-event.json", {"https://rendezvous.nomagic.uk": world.remote.base_url}
    )
    world.remote.serve(event)
    group = await joined_remote_group(world, organizer)
    assert group.type == "Group" and group.display_name == "Contribateliers"
    item = await world.receive(announce(organizer, event["id"]))
    assert item.state == "processed", item.error
    stored = await world.obj(event["id"])
    assert stored is not None and stored.type == "Event"
    assert await world.row(CommunityPost, community_id=group.id, object_id=stored.id)
    row = await world.row(EventRow, object_id=stored.id)
    assert row is not None and row.community_id == group.id


async def test_a_piefed_feed_is_no_group_and_its_announces_keep_nothing(world: Harness) -> None:
    """PieFed's feeds (``type: Feed``) gather communities; they are not communities to join."""
    hosts = {"https://example.com": world.remote.base_url}
    feed = adapt("piefed/actor-feed.json", hosts)
    world.remote.serve(feed)
    with pytest.raises(InvalidActorError):
        await world.node.remote.get(feed["id"])
    added = adapt("piefed/activity-announce-add-group-to-feed.json", hosts)
    with pytest.raises(InvalidActorError):
        await world.receive(added)
    assert await world.rows(CommunityPost) == [] and await world.actor(feed["id"]) is None


async def test_a_guppe_group_is_joined_and_its_announced_note_kept(world: Harness) -> None:
    """Guppe's groups announce the Mastodon posts that mention them (Lemmy-style, the
    object alone): our member joins one and the announced post is the group's."""
    group_doc = adapt("guppe/actor-group.json", {"https://gup.pe": world.remote.base_url})
    group_doc.pop("publicKey")
    world.remote.serve(group_doc)
    author = world.remote.add_actor("felix")
    note = adapt(
        "mastodon/object-note-1.json",
        {
            "https://mastodon.madrid/users/felix": author.id,
            "https://mastodon.madrid": world.remote.base_url,
        },
    )
    for key in ("inReplyTo", "inReplyToAtomUri", "tag", "replies"):
        note.pop(key, None)
    note["cc"] = [PUBLIC, group_doc["id"]]
    world.remote.serve(note)
    group = await joined_remote_group(world, group_doc["id"])
    assert group.type == "Group" and group.display_name == "Bernie2020 group"
    item = await world.receive(announce(group_doc["id"], note["id"]))
    assert item.state == "processed", item.error
    stored = await world.obj(note["id"])
    assert stored is not None and stored.author_id == (await world.actor(author.id)).id
    assert await world.row(CommunityPost, community_id=group.id, object_id=stored.id)
