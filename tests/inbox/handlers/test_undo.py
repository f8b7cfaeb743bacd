"""Undo of Follow, Like, Announce and Block: only ever of the sender's own activity.

Payloads: Mastodon's Undo of each (the original embedded), Lemmy's Undo of a
vote, and an Undo naming the original by id only.
"""

from __future__ import annotations

from storage.models import Announce, Block, ContentObject, Follow, FollowState, Like
from tests.inbox.handlers.conftest import Harness, adapt

MASTODON = "http://mastodon.example.org"
LAIN = "http://localtesting.pleroma.lol/users/lain"
OBJECT = "http://localtesting.pleroma.lol/objects/eb92579d-3417-42a8-8652-2492c2d4f454"


def hosts(world: Harness, **extra: str) -> dict[str, str]:
    return {MASTODON: world.remote.base_url, LAIN: f"{world.base_url}/users/lain", **extra}


async def test_undo_follow_removes_the_follow(world: Harness) -> None:
    world.remote.add_actor("asonix")
    bob = await world.local("bob")
    rehost = {
        "https://masto.asonix.dog/1ea87517-63c5-4118-8831-460ee641b2cf": (
            f"{world.remote.base_url}/follows/1"
        ),
        "https://masto.asonix.dog": world.remote.base_url,
        "https://ds9.lemmy.ml/c/testcom": bob.ap_id,
    }
    await world.receive(adapt("mastodon/activity-follow.json", rehost))
    assert (await world.row(Follow, followee_id=bob.id)).state == FollowState.ACCEPTED
    undo = adapt("mastodon/activity-undo-follow.json", rehost)
    assert (await world.receive(undo)).state == "processed"
    assert await world.rows(Follow) == []
    undo["id"] += "-again"
    assert (await world.receive(undo)).state == "processed"


async def test_undo_like_uncounts_and_lemmy_undo_finds_the_vote_by_object(
    world: Harness,
) -> None:
    world.remote.add_actor("admin")
    world.remote.add_actor("lemmy_alpha")
    lain = await world.local("lain")
    post = await world.post(
        lain, ap_id=OBJECT.replace("http://localtesting.pleroma.lol", world.base_url)
    )
    await world.receive(adapt("mastodon/activity-like.json", hosts(world, **{OBJECT: post.ap_id})))
    lemmy_hosts = {
        "http://ds9.lemmy.ml/comment/1": post.ap_id,
        "http://ds9.lemmy.ml/u/lemmy_alpha": f"{world.remote.base_url}/users/lemmy_alpha",
        "http://ds9.lemmy.ml": world.remote.base_url,
    }
    await world.receive(adapt("lemmy/activity-voting-like-note.json", lemmy_hosts))
    assert (await world.obj(post.ap_id)).likes_count == 2
    await world.receive(
        adapt("mastodon/activity-undo-like.json", hosts(world, **{OBJECT: post.ap_id}))
    )
    assert (await world.obj(post.ap_id)).likes_count == 1
    # Lemmy's Undo embeds a vote with a different id than the vote it sent: found by object.
    undo = adapt("lemmy/activity-voting-undo-like-note.json", lemmy_hosts)
    assert (await world.receive(undo)).state == "processed"
    assert await world.rows(Like) == []
    assert (await world.obj(post.ap_id)).likes_count == 0


async def test_undo_of_someone_elses_like_changes_nothing(world: Harness) -> None:
    world.remote.add_actor("admin")
    world.remote.add_actor("mallory")
    lain = await world.local("lain")
    post = await world.post(lain)
    await world.receive(adapt("mastodon/activity-like.json", hosts(world, **{OBJECT: post.ap_id})))
    mallory = f"{world.remote.base_url}/users/mallory"
    # Embedded with the liker as actor: refused outright.
    forged = adapt("mastodon/activity-undo-like.json", hosts(world, **{OBJECT: post.ap_id}))
    forged["actor"], forged["id"] = mallory, f"{mallory}#undo/1"
    item = await world.receive(forged)
    assert item.state == "rejected"
    # Embedded with mallory as actor but admin's Like id: the row is not mallory's.
    forged["object"]["actor"], forged["id"] = mallory, f"{mallory}#undo/2"
    forged["object"]["id"] = f"{world.remote.base_url}/users/admin#likes/2"
    assert (await world.receive(forged)).state == "rejected"
    # By id only.
    by_id = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Undo"}
    by_id |= {"id": f"{mallory}#undo/3", "actor": mallory, "object": forged["object"]["id"]}
    assert (await world.receive(by_id)).state == "rejected"
    assert len(await world.rows(Like)) == 1
    assert (await world.obj(post.ap_id)).likes_count == 1


async def test_undo_announce_and_undo_by_id(world: Harness) -> None:
    world.remote.add_actor("admin")
    lain = await world.local("lain")
    post = await world.post(lain)
    announced = "http://mastodon.example.org/@admin/99541947525187367"
    announce = adapt("mastodon/activity-announce.json", hosts(world, **{announced: post.ap_id}))
    await world.receive(announce)
    assert (await world.obj(post.ap_id)).announces_count == 1
    undo = adapt("mastodon/activity-undo-announce.json", hosts(world, **{announced: post.ap_id}))
    assert undo["object"]["id"] == announce["id"]
    assert (await world.receive(undo)).state == "processed"
    assert await world.rows(Announce) == []
    assert (await world.obj(post.ap_id)).announces_count == 0
    # Boost again, then undo naming only the Announce's id.
    announce["id"] += "/2"
    await world.receive(announce)
    admin = f"{world.remote.base_url}/users/admin"
    by_id = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Undo"}
    by_id |= {"id": f"{admin}#undo/by-id", "actor": admin, "object": announce["id"]}
    assert (await world.receive(by_id)).state == "processed"
    assert (await world.obj(post.ap_id)).announces_count == 0


async def test_undo_block(world: Harness) -> None:
    world.remote.add_actor("admin")
    lain = await world.local("lain")
    await world.receive(adapt("mastodon/activity-block.json", hosts(world)))
    assert len(await world.rows(Block, target_id=lain.id)) == 1
    # Mastodon's Undo embeds the Block under another id than it sent: found by pair.
    undo = adapt("mastodon/activity-undo-block.json", hosts(world))
    assert (await world.receive(undo)).state == "processed"
    assert await world.rows(Block) == []


async def test_undo_of_a_foreign_follow_is_refused(world: Harness) -> None:
    world.remote.add_actor("asonix")
    world.remote.add_actor("mallory")
    bob = await world.local("bob")
    rehost = {
        "https://masto.asonix.dog/1ea87517-63c5-4118-8831-460ee641b2cf": (
            f"{world.remote.base_url}/follows/1"
        ),
        "https://masto.asonix.dog": world.remote.base_url,
        "https://ds9.lemmy.ml/c/testcom": bob.ap_id,
    }
    await world.receive(adapt("mastodon/activity-follow.json", rehost))
    undo = adapt("mastodon/activity-undo-follow.json", rehost)
    mallory = f"{world.remote.base_url}/users/mallory"
    undo["actor"], undo["object"]["actor"], undo["id"] = mallory, mallory, f"{mallory}#u"
    assert (await world.receive(undo)).state == "rejected"
    assert len(await world.rows(Follow)) == 1
    assert (await world.rows(ContentObject)) == []
