"""Update of objects (only by their author, never reviving or widening) and of actors.

Payloads: Lemmy's Update of a Page, Mastodon's Update of a Person.
"""

from __future__ import annotations

from typing import Any

import pytest

from content.objects import tombstone
from federation.constants import PUBLIC
from inbox.pipeline import BadActivityError
from storage.models import ContentObject, Visibility
from tests.inbox.handlers.conftest import Harness, adapt


def lemmy(world: Harness, name: str) -> dict[str, Any]:
    return adapt(
        f"lemmy/activity-create-or-update-{name}.json",
        {
            "http://ds9.lemmy.ml/u/lemmy_alpha": f"{world.remote.base_url}/users/lemmy_alpha",
            "http://ds9.lemmy.ml": world.remote.base_url,
        },
    )


def update_of(actor: str, obj: dict[str, Any], n: int = 1) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{obj['id']}#updates/{n}",
        "type": "Update",
        "actor": actor,
        "object": obj,
    }


async def test_the_author_edits_a_lemmy_page(world: Harness) -> None:
    world.remote.add_actor("lemmy_alpha")
    await world.receive(lemmy(world, "create-page"))
    body = lemmy(world, "update-page")
    item = await world.receive(body)
    assert item.state == "processed"
    page = await world.obj(body["object"]["id"])
    assert page.name == "test post 1"
    assert page.updated_at is not None and page.updated_at.isoformat().startswith(
        "2021-10-29T15:11"
    )
    assert page.visibility == Visibility.PUBLIC


async def test_an_edit_cannot_widen_the_audience(world: Harness) -> None:
    world.remote.add_actor("lemmy_alpha")
    created = lemmy(world, "create-page")
    created["object"]["to"] = [f"{world.remote.base_url}/users/lemmy_alpha/followers"]
    created["to"] = created["object"]["to"]
    await world.receive(created)
    body = lemmy(world, "update-page")
    body["object"]["to"] = [PUBLIC]
    await world.receive(body)
    page = await world.obj(body["object"]["id"])
    assert page.name == "test post 1"
    assert page.visibility == Visibility.FOLLOWERS


async def test_an_update_by_someone_else_changes_nothing(world: Harness) -> None:
    world.remote.add_actor("lemmy_alpha")
    mallory = world.remote.add_actor("mallory")
    await world.receive(lemmy(world, "create-page"))
    body = lemmy(world, "update-page")
    body["actor"], body["id"] = mallory.id, f"{mallory.id}#update"
    with pytest.raises(BadActivityError):  # attributed to someone else: the edge refuses it
        await world.receive(body)
    # The same author claim dropped, still not the author: the handler refuses too.
    del body["object"]["attributedTo"]
    item = await world.receive(body)
    assert item.state == "rejected"
    assert (await world.obj(body["object"]["id"])).name == "test post"


async def test_older_edits_unknown_objects_and_tombstones_are_left_alone(world: Harness) -> None:
    world.remote.add_actor("lemmy_alpha")
    await world.receive(lemmy(world, "create-page"))
    newer = lemmy(world, "update-page")
    await world.receive(newer)
    older = lemmy(world, "update-page")
    older["id"] += "-older"
    older["object"]["name"] = "stale title"
    older["object"]["updated"] = "2021-10-29T15:11:00Z"
    assert (await world.receive(older)).state == "processed"
    assert (await world.obj(newer["object"]["id"])).name == "test post 1"

    unknown = lemmy(world, "update-page")
    unknown["id"] += "-unknown"
    unknown["object"]["id"] = f"{world.remote.base_url}/post/404"
    assert (await world.receive(unknown)).state == "processed"
    assert await world.obj(unknown["object"]["id"]) is None

    async with world.node.sessions() as session:
        page = (await world.obj(newer["object"]["id"])).id
        await tombstone(session, await session.get(ContentObject, page))
        await session.commit()
    late = lemmy(world, "update-page")
    late["id"] += "-late"
    late["object"]["updated"] = "2030-01-01T00:00:00Z"
    assert (await world.receive(late)).state == "processed"
    stored = await world.obj(newer["object"]["id"])
    assert stored.deleted_at is not None and stored.name is None and stored.content == ""


async def test_a_poll_update_brings_new_counts(world: Harness) -> None:
    rin = world.remote.add_actor("rin")
    poll = adapt(
        "pleroma/object-question-poll-original.json",
        {"https://patch.cx/users/rin": rin.id, "https://patch.cx": world.remote.base_url},
    )
    poll.pop("actor")
    created = {**update_of(rin.id, poll), "type": "Create", "id": f"{poll['id']}/create"}
    await world.receive(created)
    stored = await world.obj(poll["id"])
    assert stored.extra["oneOf"] == [{"name": "yes", "votes": 4}, {"name": "no", "votes": 0}]
    assert stored.extra["closed"] == "2019-09-19T00:32:36Z"  # Pleroma's zoneless time, as UTC
    poll["oneOf"][1]["replies"]["totalItems"] = 3
    poll["updated"] = "2019-09-18T15:00:00Z"
    assert (await world.receive(update_of(rin.id, poll))).state == "processed"
    assert (await world.obj(poll["id"])).extra["oneOf"][1] == {"name": "no", "votes": 3}


async def test_an_edit_named_by_id_is_refetched(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    doc = {
        "id": f"{carol.id}/notes/1",
        "type": "Note",
        "attributedTo": carol.id,
        "content": "<p>v1</p>",
        "to": [PUBLIC],
    }
    created = {**update_of(carol.id, doc), "type": "Create", "id": f"{doc['id']}/create"}
    await world.receive(created)
    world.remote.serve({**doc, "content": "<p>v2</p>", "updated": "2030-01-01T00:00:00Z"})
    body = update_of(carol.id, doc, 2)
    body["object"] = doc["id"]
    assert (await world.receive(body)).state == "processed"
    assert (await world.obj(doc["id"])).content == "<p>v2</p>"


async def test_mastodon_profile_update_refreshes_the_actor(world: Harness) -> None:
    gargron = world.remote.add_actor("gargron")
    await world.known(gargron)
    body = adapt(
        "mastodon/activity-update-person.json",
        {"http://mastodon.example.org": world.remote.base_url},
    )
    body["object"]["publicKey"]["publicKeyPem"] = gargron.public_pem
    item = await world.receive(body)
    assert item.state == "processed", item.error
    actor = await world.actor(gargron.id)
    assert (actor.display_name, actor.summary) == ("gargle", "<p>Some bio</p>")
    assert actor.fields == [
        {"name": "foo", "value": "updated"},
        {"name": "foo1", "value": "updated"},
    ]
    assert actor.icon_url.endswith("fd7f8ae0b3ffedc9.jpeg")


async def test_a_profile_update_by_id_refetches_and_ours_are_never_overwritten(
    world: Harness,
) -> None:
    carol = world.remote.add_actor("carol")
    before = (await world.known(carol)).fetched_at
    lain = await world.local("lain", display_name="Lain")
    body = update_of(carol.id, {"id": carol.id}, 1)
    body["object"] = carol.id
    fetches = world.remote.fetches.count("/users/carol")
    assert (await world.receive(body)).state == "processed"
    assert world.remote.fetches.count("/users/carol") == fetches + 1
    assert (await world.actor(carol.id)).fetched_at > before
    # Someone else's server cannot rewrite our actor: cut back to the id, and ours stay ours.
    forged = update_of(carol.id, {"id": lain.ap_id, "type": "Person", "name": "pwned"}, 2)
    forged["id"] = f"{carol.id}#updates/forged"
    with pytest.raises(BadActivityError):
        await world.receive(forged)
    item = await world.receive(forged, edge=False)
    assert item.state == "rejected"
    assert (await world.actor(lain.ap_id)).display_name == "Lain"
