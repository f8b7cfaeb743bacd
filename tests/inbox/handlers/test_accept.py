"""Accept and Reject of our Follow: matched by the Follow's id or by the embedded Follow.

Payloads: Mastodon's Accept/Reject (the Follow embedded, its id ours, so the
pipeline cuts it back to the id), Lemmy's Accept (the Follow embedded with
``to``), Mitra's Accept (the Follow's id only).
"""

from __future__ import annotations

from actors import graph
from storage.models import Follow, FollowState
from tests.inbox.handlers.conftest import Harness, adapt
from tests.support.remote import RemoteActor


async def _we_follow(world: Harness, admin: RemoteActor, name: str = "lain") -> Follow:
    lain = await world.local(name)
    target = await world.known(admin)
    async with world.node.sessions() as session:
        follow = await graph.follow(session, world.node, lain, target)
        await session.commit()
    assert follow.state == FollowState.PENDING
    return follow


def mastodon_answer(world: Harness, kind: str, follow: Follow) -> dict:
    body = adapt(
        f"mastodon/activity-{kind}-follow.json",
        {
            "http://mastodon.example.org": world.remote.base_url,
            "http://localtesting.pleroma.lol": world.base_url,
        },
    )
    body["object"]["id"] = follow.activity_ap_id
    return body


async def test_mastodon_accept_makes_our_follow_accepted(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    follow = await _we_follow(world, admin)
    [sent] = await world.deliveries_to(f"{world.remote.base_url}/inbox")
    assert sent["type"] == "Follow" and sent["id"] == follow.activity_ap_id
    body = mastodon_answer(world, "accept", follow)
    item = await world.receive(body)
    assert item.state == "processed"
    assert item.body["object"] == follow.activity_ap_id  # cut back: the Follow is ours
    assert (await world.row(Follow, id=follow.id)).state == FollowState.ACCEPTED
    lain = await world.actor(f"{world.base_url}/users/lain")
    assert item.activity_id in await world.mailbox_of(lain)
    # Redelivered (and answered twice): nothing more.
    body["id"] += "-again"
    assert (await world.receive(body)).state == "processed"
    assert (await world.row(Follow, id=follow.id)).state == FollowState.ACCEPTED


async def test_mastodon_reject_makes_our_follow_rejected(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    follow = await _we_follow(world, admin)
    item = await world.receive(mastodon_answer(world, "reject", follow))
    assert item.state == "processed"
    assert (await world.row(Follow, id=follow.id)).state == FollowState.REJECTED


async def test_lemmy_accept_matches_the_embedded_follow_by_actor_and_object(
    world: Harness,
) -> None:
    main = world.remote.add_actor("main")
    follow = await _we_follow(world, main, "lemmy_alpha")
    body = adapt(
        "lemmy/activity-following-accept.json",
        {
            "http://enterprise.lemmy.ml/c/main": main.id,
            "http://enterprise.lemmy.ml": world.remote.base_url,
            "http://ds9.lemmy.ml/u/lemmy_alpha": f"{world.base_url}/users/lemmy_alpha",
            # A Follow id we never minted: only actor/object can find it.
            "http://ds9.lemmy.ml": world.remote.base_url,
        },
    )
    assert body["object"]["id"] != follow.activity_ap_id
    item = await world.receive(body)
    assert item.state == "processed"
    assert (await world.row(Follow, id=follow.id)).state == FollowState.ACCEPTED


async def test_mitra_accept_names_the_follow_by_id(world: Harness) -> None:
    group = world.remote.add_actor("localtestgroup")
    follow = await _we_follow(world, group, "silverpill")
    body = adapt(
        "mitra/activity-accept.json",
        {
            "https://voyager.lemmy.ml/activities/follow/7d782f02-b91d-4455-b6c0-772540f00c2d": (
                follow.activity_ap_id
            ),
            "https://mitra.social": world.remote.base_url,
            "https://voyager.lemmy.ml/u/silverpill": f"{world.base_url}/users/silverpill",
        },
    )
    assert (await world.receive(body)).state == "processed"
    assert (await world.row(Follow, id=follow.id)).state == FollowState.ACCEPTED


async def test_only_the_followed_actor_may_answer(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    world.remote.add_actor("mallory")
    follow = await _we_follow(world, admin)
    for kind in ("accept", "reject"):
        body = mastodon_answer(world, kind, follow)
        body["actor"] = f"{world.remote.base_url}/users/mallory"
        body["id"] = f"{world.remote.base_url}/users/mallory#{kind}"
        item = await world.receive(body)
        assert item.state == "rejected"
        assert "followed actor" in (item.error or "")
        assert (await world.row(Follow, id=follow.id)).state == FollowState.PENDING


async def test_an_answer_to_an_unknown_follow_is_ignored(world: Harness) -> None:
    admin = world.remote.add_actor("admin")
    follow = await _we_follow(world, admin)
    body = mastodon_answer(world, "accept", follow)
    body["object"] = f"{world.base_url}/users/lain/activities/404"
    assert (await world.receive(body)).state == "processed"
    assert (await world.row(Follow, id=follow.id)).state == FollowState.PENDING
