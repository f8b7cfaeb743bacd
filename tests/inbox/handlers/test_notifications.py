"""Notifications and stream events where they are made: the inbox handlers and the flush.

In-process over both databases, through the real inbox path: remote activities re-hosted on the
loopback server, and local actions whose deliveries run through our own inbox
(``key_id == "local"``). Proves each notification is made once, never for
one's own action, never past a block or a notification-hiding mute, and never
about a post the recipient may not read; and that every post, edit, deletion
and boost leaves exactly one stream event in its own transaction.
"""

from __future__ import annotations

from typing import Any

from actors import graph
from actors.mutes import mute
from content import interactions, notifications, posts
from federation.constants import PUBLIC
from storage.models import Actor, Block, Notification, StreamEvent, Visibility
from tests.inbox.handlers.conftest import Harness, adapt
from tests.inbox.handlers.test_follow import mastodon_follow

MASTODON = "http://mastodon.example.org"
PLEROMA_OBJECT = "http://localtesting.pleroma.lol/objects/eb92579d-3417-42a8-8652-2492c2d4f454"


async def _notes(world: Harness, recipient: Actor) -> list[Notification]:
    rows: list[Notification] = await world.rows(Notification, recipient_id=recipient.id)
    return rows


async def _events(world: Harness, event: str) -> list[StreamEvent]:
    rows: list[StreamEvent] = await world.rows(StreamEvent, event=event)
    return rows


def _like(world: Harness, object_id: str) -> dict[str, Any]:
    return adapt(
        "mastodon/activity-like.json",
        {PLEROMA_OBJECT: object_id, MASTODON: world.remote.base_url},
    )


async def _in_session(world: Harness, work: Any) -> Any:
    async with world.node.sessions() as session:
        value = await work(session)
        await session.commit()
        return value


async def _actor(session: Any, actor: Actor) -> Actor:
    row: Actor | None = await session.get(Actor, actor.id)
    assert row is not None
    return row


async def test_a_remote_like_notifies_the_author_once(world: Harness) -> None:
    world.remote.add_actor("admin")
    lain = await world.local("lain")
    post = await world.post(lain)
    body = _like(world, post.ap_id)
    assert (await world.receive(body)).state == "processed"
    await world.receive(body)  # redelivered
    body["id"] += "/again"  # a second Like with a fresh id
    await world.receive(body)
    (note,) = await _notes(world, lain)
    assert (note.type, note.object_id, note.dismissed) == ("favourite", post.id, False)
    (event,) = [e for e in await _events(world, "notification") if e.notification_id == note.id]
    assert event.recipient_id == lain.id


async def test_a_local_like_notifies_exactly_once(world: Harness) -> None:
    lain = await world.local("lain")
    bob = await world.local("bob")
    post = await world.post(lain)

    async def like(session: Any) -> None:
        await interactions.like(
            session, world.node, await _actor(session, bob), await session.get(type(post), post.id)
        )

    await _in_session(world, like)
    assert await world.drain() == 1
    await _in_session(world, like)  # liking twice is one like
    await world.drain()
    (note,) = await _notes(world, lain)
    assert (note.type, note.from_actor_id) == ("favourite", bob.id)


async def test_nobody_is_notified_of_their_own_action(world: Harness) -> None:
    lain = await world.local("lain")
    post = await world.post(lain)

    async def own_like_and_boost(session: Any) -> None:
        me = await _actor(session, lain)
        obj = await session.get(type(post), post.id)
        await interactions.like(session, world.node, me, obj)
        await interactions.announce(session, world.node, me, obj)

    await _in_session(world, own_like_and_boost)
    await world.drain()
    assert await _notes(world, lain) == []


async def test_local_follow_and_follow_request(world: Harness) -> None:
    lain = await world.local("lain")
    carol = await world.local("carol", manually_approves_followers=True)
    bob = await world.local("bob")

    async def follow_both(session: Any) -> None:
        me = await _actor(session, bob)
        await graph.follow(session, world.node, me, await _actor(session, lain))
        await graph.follow(session, world.node, me, await _actor(session, carol))

    await _in_session(world, follow_both)
    await world.drain()
    assert [n.type for n in await _notes(world, lain)] == ["follow"]
    assert [n.type for n in await _notes(world, carol)] == ["follow_request"]


async def test_a_remote_follow_notifies(world: Harness) -> None:
    world.remote.add_actor("asonix")
    lain = await world.local("lain")
    assert (await world.receive(mastodon_follow(world, lain.ap_id))).state == "processed"
    assert [n.type for n in await _notes(world, lain)] == ["follow"]


def _create(world: Harness, author: str, suffix: str, **obj: Any) -> dict[str, Any]:
    ap_id = f"{author}/statuses/{suffix}"
    note = {
        "id": ap_id,
        "type": "Note",
        "attributedTo": author,
        "content": "<p>@lain see the lab sheet</p>",
        "published": "2026-01-10T10:00:00Z",
        **obj,
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ap_id}/activity",
        "type": "Create",
        "actor": author,
        "to": note.get("to", []),
        "cc": note.get("cc", []),
        "object": note,
    }


async def test_a_mention_notifies_only_a_reader_of_the_post(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    lain = await world.local("lain")
    mention = [{"type": "Mention", "href": lain.ap_id, "name": "@lain"}]
    followers = f"{admin.id}/followers"
    # Addressed to lain: a mention.
    await world.receive(
        _create(world, admin.id, "1", to=[PUBLIC], cc=[followers, lain.ap_id], tag=mention)
    )
    # A followers-only post that tags lain without addressing her: lain, who does
    # not follow admin, may not read it, so she is not told of it either.
    await world.receive(_create(world, admin.id, "2", to=[followers], cc=[], tag=mention))
    (note,) = await _notes(world, lain)
    assert note.type == "mention"
    assert (await world.obj(f"{admin.id}/statuses/1")).id == note.object_id  # type: ignore[union-attr]


async def test_blocks_and_muted_notifications_silence(world: Harness) -> None:
    lain = await world.local("lain")
    bob = await world.local("bob")
    dave = await world.local("dave")
    post = await world.post(lain)

    async def setup(session: Any) -> None:
        me = await _actor(session, lain)
        assert me.id is not None and bob.id is not None
        session.add(Block(actor_id=me.id, target_id=bob.id))
        await mute(session, me, await _actor(session, dave), notifications=True)

    await _in_session(world, setup)

    async def both_like(session: Any) -> None:
        obj = await session.get(type(post), post.id)
        for who in (bob, dave):
            await notifications.notify_interaction(
                session, notifications.FAVOURITE, await _actor(session, who), obj
            )

    await _in_session(world, both_like)
    assert await _notes(world, lain) == []


async def test_every_post_edit_delete_and_boost_leaves_one_stream_event(world: Harness) -> None:
    lain = await world.local("lain")
    bob = await world.local("bob")

    async def write(session: Any) -> int:
        me = await _actor(session, lain)
        obj = await posts.create_post(
            session, world.node, me, content_text_or_html="Titration", visibility="public"
        )
        await session.commit()
        await posts.update_post(session, world.node, me, obj, content_text_or_html="Titration!")
        await session.commit()
        booster = await _actor(session, bob)
        await interactions.announce(session, world.node, booster, obj)
        await session.commit()
        await interactions.unannounce(session, world.node, booster, obj)
        await session.commit()
        await posts.delete_post(session, world.node, me, obj)
        assert obj.id is not None
        return obj.id

    object_id = await _in_session(world, write)
    rows = await world.rows(StreamEvent)
    mine = [
        (e.event, e.announce_id is not None)
        for e in sorted(rows, key=lambda e: e.id or 0)
        if e.object_id == object_id
    ]
    assert mine == [
        ("update", False),
        ("status.update", False),
        ("update", True),
        ("delete", True),
        ("delete", False),
    ]


async def test_a_rolled_back_post_leaves_no_event(world: Harness) -> None:
    lain = await world.local("lain")
    async with world.node.sessions() as session:
        me = await _actor(session, lain)
        await posts.create_post(
            session, world.node, me, content_text_or_html="Draft", visibility=Visibility.PUBLIC
        )
        await session.rollback()
    assert await world.rows(StreamEvent) == []


async def test_dismiss_and_clear(world: Harness) -> None:
    lain = await world.local("lain")
    others = [await world.local(name) for name in ("bob", "dave")]
    post = await world.post(lain)

    async def likes(session: Any) -> list[int]:
        obj = await session.get(type(post), post.id)
        made = []
        for who in others:
            row = await notifications.notify_interaction(
                session, notifications.FAVOURITE, await _actor(session, who), obj
            )
            assert row is not None and row.id is not None
            made.append(row.id)
        return made

    first, second = await _in_session(world, likes)

    async def dismiss(session: Any) -> bool:
        me = await _actor(session, lain)
        assert not await notifications.dismiss(session, await _actor(session, others[0]), first)
        return await notifications.dismiss(session, me, first)

    assert await _in_session(world, dismiss)
    assert {n.id: n.dismissed for n in await _notes(world, lain)} == {first: True, second: False}

    async def clear(session: Any) -> None:
        await notifications.clear(session, await _actor(session, lain))

    await _in_session(world, clear)
    assert all(n.dismissed for n in await _notes(world, lain))

    async def like_again(session: Any) -> Notification | None:
        obj = await session.get(type(post), post.id)
        who = await _actor(session, others[1])
        return await notifications.notify_interaction(session, notifications.FAVOURITE, who, obj)

    # The same event told again is not news again, dismissed or not.
    assert await _in_session(world, like_again) is None
    assert len(await _notes(world, lain)) == 2


async def test_an_edit_notifies_those_who_boosted_but_a_vote_count_does_not(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    lain = await world.local("lain")
    await world.receive(_create(world, admin.id, "q", to=[PUBLIC], cc=[f"{admin.id}/followers"]))
    ap_id = f"{admin.id}/statuses/q"
    obj = await world.obj(ap_id)
    assert obj is not None

    async def boost(session: Any) -> None:
        await interactions.announce(
            session, world.node, await _actor(session, lain), await session.get(type(obj), obj.id)
        )

    await _in_session(world, boost)
    await world.drain()

    def update(n: int, **changes: Any) -> dict[str, Any]:
        doc = _create(world, admin.id, "q", to=[PUBLIC], cc=[f"{admin.id}/followers"])["object"]
        doc.update(updated=f"2026-01-10T11:0{n}:00Z", **changes)
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{ap_id}#updates/{n}",
            "type": "Update",
            "actor": admin.id,
            "object": doc,
        }

    # Only the date moves (what a poll's new vote count looks like here): not news.
    assert (await world.receive(update(1))).state == "processed"
    assert await _notes(world, lain) == []
    await world.receive(update(2, content="<p>Corrected: see sheet 2</p>"))
    (note,) = await _notes(world, lain)
    assert (note.type, note.object_id) == ("update", obj.id)
    assert [e.event for e in await _events(world, "status.update") if e.object_id == obj.id]
