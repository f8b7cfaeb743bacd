"""The table and the worker: every type has its handler, unknown types are fine, errors retry."""

from __future__ import annotations

from typing import Any

import pytest

from actors import graph
from content import interactions
from inbox import dispatch
from inbox.handlers.common import Refused
from storage.models import ContentObject, Follow, InboxItem, InboxState, Like
from tests.inbox.handlers.conftest import Harness

HANDLED = {
    "Accept",
    "Add",
    "Announce",
    "Block",
    "Create",
    "Delete",
    "Flag",
    "Follow",
    "Join",  # of an event (issue 13)
    "Leave",
    "Like",
    "Reject",
    "Remove",
    "Undo",
    "Update",
}


def activity(world: Harness, kind: str, obj: Any, n: int = 1) -> dict[str, Any]:
    actor = f"{world.remote.base_url}/users/carol"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/{kind}/{n}",
        "type": kind,
        "actor": actor,
        "object": obj,
    }


def test_the_table_names_every_handled_type() -> None:
    assert set(dispatch.HANDLERS) == HANDLED
    assert dispatch.handler_for("Bite") is dispatch.ignore
    # Our own deliveries: the domain already changed the rows; a Follow awaits an answer,
    # and the recipients of a follow, like, boost, post or edit are notified.
    assert set(dispatch.LOCAL_HANDLERS) == {"Announce", "Create", "Follow", "Like", "Update"}
    assert dispatch.handler_for("Delete", local=True) is dispatch.ignore
    assert set(dispatch.UNDO) == {"Follow", "Like", "Announce", "Block", "Join"}
    assert {"Note", "Article", "Page", "Question", "Event", "Document"} <= set(dispatch.CREATE)


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("Bite", "https://example.com/users/x"),  # unknown type
        ("Move", {"id": "https://example.com/users/y", "type": "Person"}),
        ("Undo", {"type": "Accept", "id": "https://x.example/a"}),  # unknown undone type
        ("Create", {"type": "Video", "id": "VIDEO"}),  # a type we do not store
        ("Update", {"type": "Tombstone"}),
        ("Like", None),
        ("Follow", ["a", "b"]),
    ],
)
async def test_what_we_do_not_act_on_is_processed_quietly(
    world: Harness, kind: str, obj: Any
) -> None:
    carol = world.remote.add_actor("carol")
    if isinstance(obj, dict) and obj.get("id") == "VIDEO":
        obj = {**obj, "id": f"{carol.id}/videos/1", "attributedTo": carol.id}
    item = await world.receive(activity(world, kind, obj))
    assert item.state == InboxState.PROCESSED, item.error


async def test_a_handler_error_becomes_a_retry(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(dispatch.HANDLERS, "Like", broken)
    world.remote.add_actor("carol")
    item = await world.receive(activity(world, "Like", f"{world.base_url}/x"))
    assert item.state == InboxState.RECEIVED
    assert item.attempts == 1
    assert "database hiccup" in (item.error or "")
    assert item.next_attempt_at > item.received_at


async def test_a_refusal_is_final_and_keeps_nothing(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(session: Any, _node: Any, item: InboxItem) -> None:
        session.add(InboxItem(**{**item.model_dump(), "id": None, "activity_id": "x:leak"}))
        await session.flush()
        raise Refused("not yours")

    monkeypatch.setitem(dispatch.HANDLERS, "Like", refuse)
    world.remote.add_actor("carol")
    item = await world.receive(activity(world, "Like", f"{world.base_url}/x"))
    assert (item.state, item.error, item.attempts) == (InboxState.REJECTED, "not yours", 0)
    assert await world.row(InboxItem, activity_id="x:leak") is None


async def test_a_local_action_undone_before_the_worker_runs_stays_undone(world: Harness) -> None:
    """like() then unlike(), follow() then unfollow(), all before the worker gets to
    the deliveries: processing them later must not bring the Like or the Follow back."""
    alice = await world.local("alice")
    bob = await world.local("bob")
    post = await world.post(bob)
    async with world.node.sessions() as session:
        obj = await session.get(ContentObject, post.id)
        await interactions.like(session, world.node, alice, obj)
        await interactions.announce(session, world.node, alice, obj)
        await graph.follow(session, world.node, alice, bob)
        await session.commit()
    async with world.node.sessions() as session:
        obj = await session.get(ContentObject, post.id)
        await interactions.unlike(session, world.node, alice, obj)
        await interactions.unannounce(session, world.node, alice, obj)
        await graph.unfollow(session, world.node, alice, bob)
        await session.commit()
    assert await world.drain() == 6
    assert await world.rows(Like) == [] and await world.rows(Follow) == []
    counts = await world.obj(post.ap_id)
    assert (counts.likes_count, counts.announces_count) == (0, 0)
    assert await world.published("Accept") == []
    assert all(i.state == "processed" for i in await world.rows(InboxItem))
    assert len(await world.mailbox_of(bob)) == 6  # bob still hears of each
