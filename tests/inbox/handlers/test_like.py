"""Like: counted on the object, once per actor; local likes publish and undo.

Payloads: Mastodon's Like, Misskey's Like-with-reaction, Lemmy's vote.
"""

from __future__ import annotations

from content import interactions
from content.objects import tombstone
from storage.models import ContentObject, Like, Visibility
from tests.inbox.handlers.conftest import Harness, adapt

OBJECT = "http://localtesting.pleroma.lol/objects/eb92579d-3417-42a8-8652-2492c2d4f454"


def mastodon_like(world: Harness, object_id: str) -> dict:
    return adapt(
        "mastodon/activity-like.json",
        {OBJECT: object_id, "http://mastodon.example.org": world.remote.base_url},
    )


async def test_a_like_of_our_post_is_counted_once(world: Harness) -> None:
    world.remote.add_actor("admin")
    lain = await world.local("lain")
    post = await world.post(lain)
    body = mastodon_like(world, post.ap_id)
    item = await world.receive(body)
    assert item.state == "processed"
    assert (await world.obj(post.ap_id)).likes_count == 1
    assert item.activity_id in await world.mailbox_of(lain)
    # A redelivery, and a second Like of the same post with a new id: still one.
    await world.receive(body)
    body["id"] += "/again"
    assert (await world.receive(body)).state == "processed"
    assert len(await world.rows(Like)) == 1
    assert (await world.obj(post.ap_id)).likes_count == 1


async def test_misskey_reaction_and_lemmy_vote_count_as_likes(world: Harness) -> None:
    world.remote.add_actor("admin")
    world.remote.add_actor("lemmy_alpha")
    lain = await world.local("lain")
    post = await world.post(lain)
    misskey = adapt(
        "misskey/activity-like.json",
        {
            "https://testing.pleroma.lol/objects/c331bbf7-2eb9-4801-a709-2a6103492a5a": (
                post.ap_id
            ),
            "https://testing.pleroma.lol/users/lain": lain.ap_id,
            "http://mastodon.example.org": world.remote.base_url,
            "https://misskey.xyz": f"{world.remote.base_url}/misskey",
        },
    )
    lemmy = adapt(
        "lemmy/activity-voting-like-note.json",
        {
            "http://ds9.lemmy.ml/comment/1": post.ap_id,
            "http://ds9.lemmy.ml/u/lemmy_alpha": f"{world.remote.base_url}/users/lemmy_alpha",
            "http://ds9.lemmy.ml": world.remote.base_url,
        },
    )
    assert (await world.receive(misskey)).state == "processed"
    assert (await world.receive(lemmy)).state == "processed"
    assert (await world.obj(post.ap_id)).likes_count == 2


async def test_likes_of_unknown_deleted_or_unreadable_posts_change_nothing(
    world: Harness,
) -> None:
    world.remote.add_actor("admin")
    lain = await world.local("lain")
    private = await world.post(lain, visibility=Visibility.FOLLOWERS)
    gone = await world.post(lain)
    async with world.node.sessions() as session:
        await tombstone(session, await session.get(ContentObject, gone.id))
        await session.commit()
    for n, target in enumerate((f"{world.base_url}/objects/nope", private.ap_id, gone.ap_id)):
        body = mastodon_like(world, target)
        body["id"] = f"{world.remote.base_url}/users/admin#likes/{n}"
        assert (await world.receive(body)).state == "processed"
    assert await world.rows(Like) == []


async def test_local_like_and_unlike_publish_to_the_author(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    author = await world.known(admin)
    post = await world.post(author)
    lain = await world.local("lain")
    async with world.node.sessions() as session:
        obj = await session.get(ContentObject, post.id)
        first = await interactions.like(session, world.node, lain, obj)
        again = await interactions.like(session, world.node, lain, obj)
        assert first.id == again.id
        assert obj.likes_count == 1
        await session.commit()
    [sent] = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert (sent["type"], sent["object"], sent["to"]) == ("Like", post.ap_id, [admin.id])
    async with world.node.sessions() as session:
        obj = await session.get(ContentObject, post.id)
        assert await interactions.unlike(session, world.node, lain, obj)
        assert not await interactions.unlike(session, world.node, lain, obj)
        await session.commit()
    assert (await world.obj(post.ap_id)).likes_count == 0
    undo = (await world.deliveries_to(f"{world.remote.base_url}/inbox"))[-1]
    assert undo["type"] == "Undo"
    assert undo["object"] == {**undo["object"], "id": first.activity_ap_id, "type": "Like"}
