"""Delete: tombstones for objects (only by their author); an actor deleting itself.

Payloads: Mastodon's Delete with a Tombstone, Lemmy's Delete by bare id,
Mastodon's Delete of a Person.
"""

from __future__ import annotations

from typing import Any

from federation.constants import PUBLIC
from storage.models import (
    Announce,
    ContentObject,
    Featured,
    Follow,
    FollowState,
    Like,
    Visibility,
)
from tests.inbox.handlers.conftest import Harness, adapt

MASTODON = "http://mastodon.example.org"


def create_note(actor: str, ap_id: str, **extra: Any) -> dict[str, Any]:
    obj = {
        "id": ap_id,
        "type": "Note",
        "attributedTo": actor,
        "content": "<p>Homework: page 12</p>",
        "to": [PUBLIC],
        **extra,
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ap_id}/activity",
        "type": "Create",
        "actor": actor,
        "object": obj,
    }


async def test_mastodon_delete_makes_a_tombstone_and_uncounts_the_reply(world: Harness) -> None:
    gargron = world.remote.add_actor("gargron")
    teacher = await world.local("teacher")
    parent = await world.post(teacher)
    status = f"{world.remote.base_url}/users/gargron/statuses/99620895606148759"
    await world.receive(
        create_note(gargron.id, status, inReplyTo=parent.ap_id, summary="cw", sensitive=True)
    )
    assert (await world.obj(parent.ap_id)).replies_count == 1
    body = adapt("mastodon/activity-delete-tombstone.json", {MASTODON: world.remote.base_url})
    item = await world.receive(body)
    assert item.state == "processed"
    gone = await world.obj(status)
    assert gone.deleted_at is not None
    assert (gone.content, gone.summary, gone.tags, gone.attachments) == ("", None, [], [])
    assert (await world.obj(parent.ap_id)).replies_count == 0
    body["id"] += "-again"
    assert (await world.receive(body)).state == "processed"


async def test_lemmy_delete_by_bare_id(world: Harness) -> None:
    alpha = world.remote.add_actor("lemmy_alpha")
    post = f"{world.remote.base_url}/post/1"
    await world.receive(create_note(alpha.id, post))
    body = adapt(
        "lemmy/activity-deletion-delete-page.json",
        {
            "http://ds9.lemmy.ml/u/lemmy_alpha": alpha.id,
            "http://ds9.lemmy.ml": world.remote.base_url,
        },
    )
    assert body["object"] == post
    assert (await world.receive(body)).state == "processed"
    assert (await world.obj(post)).deleted_at is not None


async def test_only_the_author_deletes(world: Harness) -> None:
    gargron = world.remote.add_actor("gargron")
    mallory = world.remote.add_actor("mallory")
    status = f"{world.remote.base_url}/users/gargron/statuses/1"
    await world.receive(create_note(gargron.id, status))
    forged = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{mallory.id}#delete/1",
        "type": "Delete",
        "actor": mallory.id,
        "object": status,
    }
    item = await world.receive(forged)
    assert item.state == "rejected"
    assert (await world.obj(status)).deleted_at is None
    # Nor may anyone delete another actor.
    forged["id"], forged["object"] = f"{mallory.id}#delete/2", gargron.id
    assert (await world.receive(forged)).state == "rejected"
    assert not (await world.actor(gargron.id)).gone
    # A Delete of something we never had is a no-op.
    forged["id"], forged["object"] = f"{mallory.id}#delete/3", f"{mallory.id}/statuses/404"
    assert (await world.receive(forged)).state == "processed"


async def test_an_actor_deleting_itself_takes_its_traces_with_it(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    remote_admin = await world.known(admin)
    lain = await world.local("lain")
    ours = await world.post(lain)
    theirs = f"{admin.id}/statuses/1"
    await world.receive(create_note(admin.id, theirs))
    like = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{admin.id}#likes/1",
        "type": "Like",
        "actor": admin.id,
        "object": ours.ap_id,
    }
    await world.receive(like)
    await world.receive({**like, "id": f"{admin.id}#announce/1", "type": "Announce"})
    async with world.node.sessions() as session:
        for follower, followee in ((lain.id, remote_admin.id), (remote_admin.id, lain.id)):
            session.add(
                Follow(
                    follower_id=follower,
                    followee_id=followee,
                    state=FollowState.ACCEPTED,
                    activity_ap_id=f"{follower}-{followee}",
                )
            )
        session.add(Featured(actor_id=remote_admin.id, object_ap_id=theirs))
        await session.commit()
    assert (await world.obj(ours.ap_id)).likes_count == 1

    body = adapt("mastodon/activity-delete-person.json", {MASTODON: world.remote.base_url})
    item = await world.receive(body)
    assert item.state == "processed", item.error
    assert (await world.actor(admin.id)).gone
    assert (await world.obj(theirs)).deleted_at is not None
    assert await world.rows(Follow) == []
    assert await world.rows(Like) == [] and await world.rows(Announce) == []
    assert await world.rows(Featured) == []
    counts = await world.obj(ours.ap_id)
    assert (counts.likes_count, counts.announces_count) == (0, 0)
    # Redelivered: nothing more; anything else it sends now is refused.
    body["id"] += "/again"
    assert (await world.receive(body)).state == "processed"
    late = create_note(admin.id, f"{admin.id}/statuses/2")
    assert (await world.receive(late)).state == "rejected"
    assert await world.obj(f"{admin.id}/statuses/2") is None


async def test_our_own_deletes_echoed_to_our_inbox_change_nothing_more(world: Harness) -> None:
    """Our publisher's Delete reaches our inbox after the domain made the tombstone;
    the handler leaves rows alone (the domain owns them) and only files the mailbox."""
    lain = await world.local("lain")
    post = await world.post(lain, visibility=Visibility.FOLLOWERS)
    body = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{lain.ap_id}/activities/1",
        "type": "Delete",
        "actor": lain.ap_id,
        "object": {"id": post.ap_id, "type": "Tombstone"},
    }
    assert (await world.receive(body, key_id="local")).state == "processed"
    assert (await world.obj(post.ap_id)).deleted_at is None
    self_delete = {**body, "id": f"{lain.ap_id}/activities/2", "object": lain.ap_id}
    assert (await world.receive(self_delete, key_id="local")).state == "processed"
    assert not (await world.actor(lain.ap_id)).gone
    assert len(await world.rows(ContentObject)) == 1
