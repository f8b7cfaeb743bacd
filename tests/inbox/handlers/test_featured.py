"""Add and Remove: pins in the sender's own featured collection only.

Payloads: Lemmy's Add/Remove of a featured post (re-aimed at the actor's own
collection, and as sent: at a community's collection, which is ignored).
"""

from __future__ import annotations

from storage.models import Featured
from tests.inbox.handlers.conftest import Harness, adapt


def lemmy(world: Harness, kind: str, target: str | None = None) -> dict:
    body = adapt(
        f"lemmy/activity-community-{kind}-featured-post.json",
        {
            "https://ds9.lemmy.ml/u/lemmy_alpha": f"{world.remote.base_url}/users/lemmy_alpha",
            "https://ds9.lemmy.ml": world.remote.base_url,
        },
    )
    if target is not None:
        body["target"] = target
    return body


async def test_pin_and_unpin_in_the_own_featured_collection(world: Harness) -> None:
    alpha = world.remote.add_actor("lemmy_alpha")
    post = {
        "id": f"{world.remote.base_url}/post/2",
        "type": "Page",
        "attributedTo": alpha.id,
        "name": "Pinned: syllabus",
        "content": "<p>Term plan</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    world.remote.serve(post)
    featured = f"{alpha.id}/collections/featured"
    add = lemmy(world, "add", {"id": featured, "type": "OrderedCollection"})
    assert (await world.receive(add)).state == "processed"
    [pin] = await world.rows(Featured)
    assert pin.object_ap_id == post["id"]
    assert (await world.obj(post["id"])).name == "Pinned: syllabus"  # fetched to show it
    add["id"] += "-again"
    await world.receive(add)
    assert len(await world.rows(Featured)) == 1
    remove = lemmy(world, "remove", featured)
    remove["id"] = f"{world.remote.base_url}/activities/remove/1"
    assert (await world.receive(remove)).state == "processed"
    assert await world.rows(Featured) == []


async def test_a_pin_in_someone_elses_collection_is_ignored(world: Harness) -> None:
    world.remote.add_actor("lemmy_alpha")
    other = await world.local("other")
    for body in (lemmy(world, "add"), lemmy(world, "add", other.featured_url)):
        body["id"] += str(len(str(body["target"])))
        assert (await world.receive(body)).state == "processed"
    assert await world.rows(Featured) == []
