"""Announce: boosts counted on the object; unknown objects fetched from their origin.

Payloads: Mastodon's Announce (by URL), Mastodon's self-boost of a
followers-only post (embedded), Lemmy's community ``Announce{Create{Note}}``.
"""

from __future__ import annotations

from content import interactions
from content.interactions import InteractionError
from storage.models import Announce, ContentObject, Visibility
from tests.inbox.handlers.conftest import Harness, adapt
from tests.support.remote import remote_server

ANNOUNCED = "http://mastodon.example.org/@admin/99541947525187367"


def note(author: str, ap_id: str, **extra: object) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": ap_id,
        "type": "Note",
        "attributedTo": author,
        "content": "<p>Photosynthesis worksheet</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "published": "2026-01-10T10:00:00Z",
        **extra,
    }


async def test_a_boost_of_our_post_is_counted(world: Harness) -> None:
    world.remote.add_actor("admin")
    lain = await world.local("lain")
    post = await world.post(lain)
    body = adapt(
        "mastodon/activity-announce.json",
        {ANNOUNCED: post.ap_id, "http://mastodon.example.org": world.remote.base_url},
    )
    item = await world.receive(body)
    assert item.state == "processed"
    assert (await world.obj(post.ap_id)).announces_count == 1
    assert item.activity_id in await world.mailbox_of(lain)
    body["id"] += "/again"
    await world.receive(body)
    assert len(await world.rows(Announce)) == 1


async def test_a_boost_of_an_unknown_post_fetches_it_and_its_author(world: Harness) -> None:
    world.remote.add_actor("admin")
    other = world.remote.add_actor("other")
    url = f"{world.remote.base_url}/@other/1"  # what Mastodon announces: the web URL
    world.remote.serve(note(other.id, f"{other.id}/statuses/1"), path="/@other/1")
    body = adapt(
        "mastodon/activity-announce.json",
        {ANNOUNCED: url, "http://mastodon.example.org": world.remote.base_url},
    )
    assert (await world.receive(body)).state == "processed"
    stored = await world.obj(f"{other.id}/statuses/1")
    assert stored is not None and stored.content == "<p>Photosynthesis worksheet</p>"
    assert stored.announces_count == 1
    assert (await world.actor(other.id)) is not None


async def test_an_unreachable_or_forged_boosted_post_is_ignored(world: Harness) -> None:
    world.remote.add_actor("admin")
    world.remote.serve(410, path="/gone")
    # Served here but claiming to be another server's post: not proof of anything.
    world.remote.serve(
        note("https://elsewhere.example/users/x", "https://elsewhere.example/notes/1"),
        path="/forged",
    )
    for n, path in enumerate(("/gone", "/forged")):
        body = adapt(
            "mastodon/activity-announce.json",
            {
                ANNOUNCED: world.remote.base_url + path,
                "http://mastodon.example.org": world.remote.base_url,
            },
        )
        body["id"] += f"/{n}"
        assert (await world.receive(body)).state == "processed"
    assert await world.rows(ContentObject) == []
    assert await world.rows(Announce) == []


async def test_a_self_boost_of_a_followers_only_post_is_taken_from_the_embedded_copy(
    world: Harness,
) -> None:
    world.remote.add_actor("admin")
    body = adapt(
        "mastodon/activity-announce-private-inline.json",
        {"http://mastodon.example.org": world.remote.base_url},
    )
    assert (await world.receive(body)).state == "processed"
    stored = await world.obj(body["object"]["id"])
    assert stored is not None
    assert stored.visibility == Visibility.FOLLOWERS
    assert stored.announces_count == 1


async def test_nobody_boosts_another_actors_private_post(world: Harness) -> None:
    world.remote.add_actor("admin")
    lain = await world.local("lain")
    post = await world.post(lain, visibility=Visibility.FOLLOWERS)
    body = adapt(
        "mastodon/activity-announce.json",
        {ANNOUNCED: post.ap_id, "http://mastodon.example.org": world.remote.base_url},
    )
    assert (await world.receive(body)).state == "processed"
    assert await world.rows(Announce) == []


def lemmy_announce(world: Harness, create: dict) -> dict:
    body = adapt(
        "lemmy/activity-announce-create-note-lemmy-ml.json",
        {
            "https://lemmy.ml/c/asklemmy": f"{world.remote.base_url}/users/asklemmy",
            "https://lemmy.ml": world.remote.base_url,
        },
    )
    body["object"]["id"] = create["id"]
    body["object"]["actor"] = create["actor"]
    body["object"]["object"]["id"] = create["object"]["id"]
    body["object"]["object"]["attributedTo"] = create["actor"]
    return body


async def test_lemmy_announce_of_a_create_on_another_instance(world: Harness) -> None:
    """The Create lives elsewhere: the pipeline cuts it to its id; fetched and unwrapped."""
    world.remote.add_actor("asklemmy")
    with remote_server() as lemmy_world:
        mojave = lemmy_world.add_actor("Mojave")
        comment = note(mojave.id, f"{lemmy_world.base_url}/comment/2744248")
        create = {
            "id": f"{lemmy_world.base_url}/activities/create/c22cc7ca",
            "type": "Create",
            "actor": mojave.id,
            "object": comment,
        }
        lemmy_world.serve(create)
        lemmy_world.serve(comment)
        item = await world.receive(lemmy_announce(world, create))
        assert item.body["object"] == create["id"]
        assert item.state == "processed", item.error
        assert "/activities/create/c22cc7ca" in lemmy_world.fetches
    stored = await world.obj(comment["id"])
    assert stored is not None and stored.announces_count == 1
    assert (await world.actor(mojave.id)) is not None


async def test_lemmy_announce_of_a_create_on_the_same_instance(world: Harness) -> None:
    """Embedded and same-origin: still fetched, the community's copy proves nothing."""
    world.remote.add_actor("asklemmy")
    mojave = world.remote.add_actor("Mojave")
    comment = note(mojave.id, f"{world.remote.base_url}/comment/1")
    create = {
        "id": f"{world.remote.base_url}/activities/create/1",
        "type": "Create",
        "actor": mojave.id,
        "object": comment,
    }
    world.remote.serve(comment)
    body = lemmy_announce(world, create)
    body["object"]["object"]["content"] = "<p>not what Mojave wrote</p>"
    assert (await world.receive(body)).state == "processed"
    stored = await world.obj(comment["id"])
    assert stored is not None and stored.content == "<p>Photosynthesis worksheet</p>"


async def test_local_boost_and_unboost(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    author = await world.known(admin)
    post = await world.post(author)
    private = await world.post(author, visibility=Visibility.FOLLOWERS)
    lain = await world.local("lain")
    async with world.node.sessions() as session:
        obj = await session.get(ContentObject, post.id)
        row = await interactions.announce(session, world.node, lain, obj)
        assert obj.announces_count == 1
        try:
            await interactions.announce(
                session, world.node, lain, await session.get(ContentObject, private.id)
            )
        except InteractionError:
            pass
        else:
            raise AssertionError("a followers-only post was boosted")
        await session.commit()
    [sent] = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert sent["type"] == "Announce" and sent["object"] == post.ap_id
    assert sent["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    async with world.node.sessions() as session:
        obj = await session.get(ContentObject, post.id)
        assert await interactions.unannounce(session, world.node, lain, obj)
        await session.commit()
    assert (await world.obj(post.ap_id)).announces_count == 0
    undo = (await world.deliveries_to(f"{world.remote.base_url}/inbox"))[-1]
    assert undo["type"] == "Undo" and undo["object"]["id"] == row.activity_ap_id
