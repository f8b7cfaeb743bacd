"""Follow: auto-accept, pending requests, blocks, and follows of actors that are not ours.

Payloads: Mastodon's Follow (``mastodon/activity-follow.json``) and Fedify's
(``fedify/activity-follow.json``, with its data-integrity proof and seven
contexts), re-hosted on the loopback server and aimed at our actors.
"""

from __future__ import annotations

from actors import graph
from storage.models import Follow, FollowState, InboxItem
from tests.inbox.handlers.conftest import Harness, adapt


def mastodon_follow(world: Harness, target: str) -> dict:
    return adapt(
        "mastodon/activity-follow.json",
        {
            "https://masto.asonix.dog/1ea87517-63c5-4118-8831-460ee641b2cf": (
                f"{world.remote.base_url}/follows/1"
            ),
            "https://masto.asonix.dog": world.remote.base_url,
            "https://ds9.lemmy.ml/c/testcom": target,
        },
    )


async def test_a_follow_of_an_open_account_is_accepted_and_answered(world: Harness) -> None:
    world.remote.add_actor("asonix")
    bob = await world.local("bob")
    item = await world.receive(mastodon_follow(world, bob.ap_id))
    assert item.state == "processed"
    follow = await world.row(Follow, followee_id=bob.id)
    assert follow.state == FollowState.ACCEPTED
    assert follow.activity_ap_id == f"{world.remote.base_url}/follows/1"
    [accept] = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert accept["type"] == "Accept"
    assert accept["actor"] == bob.ap_id
    assert accept["object"]["id"] == follow.activity_ap_id
    assert accept["object"]["actor"] == f"{world.remote.base_url}/users/asonix"
    assert item.activity_id in await world.mailbox_of(bob)


async def test_a_redelivered_or_repeated_follow_adds_nothing(world: Harness) -> None:
    world.remote.add_actor("asonix")
    bob = await world.local("bob")
    body = mastodon_follow(world, bob.ap_id)
    await world.receive(body)
    again = await world.receive(body)  # the same activity id: stored once, no new effect
    assert again.state == "processed"
    assert len(await world.rows(Follow)) == 1
    assert len(await world.published("Accept")) == 1
    # A new Follow for the same pair (the other side lost its state) gets a fresh Accept.
    body["id"] = f"{world.remote.base_url}/follows/2"
    await world.receive(body)
    [follow] = await world.rows(Follow)
    assert follow.activity_ap_id == body["id"]
    assert follow.state == FollowState.ACCEPTED
    assert len(await world.published("Accept")) == 2


async def test_an_account_that_approves_followers_gets_a_pending_request(world: Harness) -> None:
    world.remote.add_actor("asonix")
    bob = await world.local("bob", manually_approves_followers=True)
    await world.receive(mastodon_follow(world, bob.ap_id))
    follow = await world.row(Follow, followee_id=bob.id)
    assert follow.state == FollowState.PENDING
    assert await world.published("Accept") == []
    async with world.node.sessions() as session:
        row = await session.get(Follow, follow.id)
        await graph.approve(session, world.node, row)
        await session.commit()
    assert (await world.row(Follow, id=follow.id)).state == FollowState.ACCEPTED
    [accept] = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert accept["object"]["id"] == follow.activity_ap_id


async def test_a_request_can_be_rejected(world: Harness) -> None:
    world.remote.add_actor("asonix")
    bob = await world.local("bob", manually_approves_followers=True)
    await world.receive(mastodon_follow(world, bob.ap_id))
    follow = await world.row(Follow, followee_id=bob.id)
    async with world.node.sessions() as session:
        await graph.reject(session, world.node, await session.get(Follow, follow.id))
        await session.commit()
    assert (await world.row(Follow, id=follow.id)).state == FollowState.REJECTED
    [answer] = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert answer["type"] == "Reject"


async def test_a_follow_from_a_blocked_actor_is_rejected(world: Harness) -> None:
    asonix = world.remote.add_actor("asonix")
    bob = await world.local("bob")
    remote_row = await world.known(asonix)
    async with world.node.sessions() as session:
        await graph.block(session, world.node, bob, remote_row)
        await session.commit()
    await world.receive(mastodon_follow(world, bob.ap_id))
    assert (await world.row(Follow, followee_id=bob.id)).state == FollowState.REJECTED
    assert [a.type for a in await world.published("Reject")] == ["Reject"]


async def test_a_follow_of_someone_not_ours_is_ignored(world: Harness) -> None:
    world.remote.add_actor("asonix")
    await world.local("bob")
    for target in (f"{world.remote.base_url}/users/someone", f"{world.base_url}/users/nobody"):
        body = mastodon_follow(world, target)
        body["id"] = f"{world.remote.base_url}/follows/{len(target)}"
        item = await world.receive(body)
        assert item.state == "processed"
    assert await world.rows(Follow) == []


async def test_fedify_follow_with_proof_and_many_contexts(world: Harness) -> None:
    world.remote.add_actor("fred")
    dana = await world.local("dana")
    body = adapt(
        "fedify/activity-follow.json",
        {"http://127.0.0.1:42297": world.remote.base_url, "http://127.0.0.1:33459": world.base_url},
    )
    item = await world.receive(body)
    assert item.state == "processed", item.error
    assert (await world.row(Follow, followee_id=dana.id)).state == FollowState.ACCEPTED


async def test_local_follow_round_trip_through_our_own_inbox(world: Harness) -> None:
    """follow() → our inbox → auto-accept → Accept → our inbox → accepted; then unfollow()."""
    alice = await world.local("alice")
    bob = await world.local("bob")
    async with world.node.sessions() as session:
        follow = await graph.follow(session, world.node, alice, bob)
        assert follow.state == FollowState.PENDING
        await session.commit()
    assert await world.drain() == 2  # the Follow, then the Accept
    row = await world.row(Follow, follower_id=alice.id)
    assert row.state == FollowState.ACCEPTED
    items = await world.rows(InboxItem)
    assert sorted(i.activity_type for i in items) == ["Accept", "Follow"]
    assert all(i.state == "processed" for i in items)
    follow_item = next(i for i in items if i.activity_type == "Follow")
    assert follow_item.activity_id in await world.mailbox_of(bob)
    assert follow_item.activity_id not in await world.mailbox_of(alice)

    async with world.node.sessions() as session:
        assert await graph.unfollow(session, world.node, alice, bob)
        await session.commit()
    await world.drain()
    assert await world.rows(Follow) == []
    [undo] = await world.published("Undo")
    assert undo.body["object"]["id"] == row.activity_ap_id
