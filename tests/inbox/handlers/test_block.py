"""Block of one of our actors: stored, follows both ways removed, blocker muted in their inbox.

Payload: Mastodon's Block.
"""

from __future__ import annotations

from actors import graph
from storage.models import Block, Follow, FollowState
from tests.inbox.handlers.conftest import Harness, adapt


def mastodon_block(world: Harness) -> dict:
    return adapt(
        "mastodon/activity-block.json",
        {
            "http://mastodon.example.org": world.remote.base_url,
            "http://localtesting.pleroma.lol": world.base_url,
        },
    )


async def test_a_block_is_stored_and_follows_both_ways_removed(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    lain = await world.local("lain")
    remote_admin = await world.known(admin)
    async with world.node.sessions() as session:
        await graph.follow(session, world.node, lain, remote_admin)
        session.add(
            Follow(
                follower_id=remote_admin.id,
                followee_id=lain.id,
                state=FollowState.ACCEPTED,
                activity_ap_id=f"{admin.id}#follows/1",
            )
        )
        await session.commit()
    assert len(await world.rows(Follow)) == 2
    body = mastodon_block(world)
    item = await world.receive(body)
    assert item.state == "processed"
    [block] = await world.rows(Block)
    assert (block.actor_id, block.target_id) == (remote_admin.id, lain.id)
    assert block.activity_ap_id == body["id"]
    assert await world.rows(Follow) == []
    body["id"] += "/again"
    assert (await world.receive(body)).state == "processed"
    assert len(await world.rows(Block)) == 1


async def test_a_block_of_someone_not_ours_is_ignored(world: Harness) -> None:
    world.remote.add_actor("admin")
    body = mastodon_block(world)
    body["object"] = f"{world.remote.base_url}/users/someone"
    assert (await world.receive(body)).state == "processed"
    assert await world.rows(Block) == []


async def test_local_block_and_unblock_publish(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    lain = await world.local("lain")
    target = await world.known(admin)
    async with world.node.sessions() as session:
        await graph.follow(session, world.node, lain, target)
        row = await graph.block(session, world.node, lain, target)
        assert (await graph.block(session, world.node, lain, target)).id == row.id
        await session.commit()
    assert await world.rows(Follow) == []
    sent = [b["type"] for b in await world.deliveries_to(f"{world.remote.base_url}/inbox")]
    assert sent == ["Follow", "Undo", "Block"]
    async with world.node.sessions() as session:
        assert await graph.unblock(session, world.node, lain, target)
        assert not await graph.unblock(session, world.node, lain, target)
        await session.commit()
    assert await world.rows(Block) == []
    undo = (await world.deliveries_to(f"{world.remote.base_url}/inbox"))[-1]
    assert (undo["type"], undo["object"]["type"], undo["object"]["id"]) == (
        "Undo",
        "Block",
        row.activity_ap_id,
    )
