"""The inbox worker's batches: one failure fails alone, order per object holds, fetches wait.

Items are stored as the inbox stores them and handled by
:func:`inbox.worker.run_once` (a batch in one transaction, a savepoint per
item), over the real handlers, on both databases.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from federation.constants import PUBLIC
from federation.jsonld import normalize
from inbox import dispatch, worker
from inbox.handlers import create as create_handler
from storage.models import ContentObject, InboxItem, StreamEvent
from storage.repos.inbox import insert_once
from tests.inbox.handlers.conftest import Harness
from tests.support.remote import RemoteActor


async def store(world: Harness, body: dict[str, Any]) -> str:
    """Stored and waiting, as the inbox leaves it after its 202."""
    activity = normalize(body)
    async with world.node.sessions() as session:
        await insert_once(
            session,
            {
                "activity_id": activity["id"],
                "activity_type": activity["type"],
                "actor_ap_id": activity["actor"],
                "recipient_id": None,
                "key_id": f"{activity['actor']}#main-key",
                "body": activity,
            },
        )
        await session.commit()
    activity_id: str = activity["id"]
    return activity_id


def note(actor: RemoteActor, n: int, text: str = "a worksheet") -> dict[str, Any]:
    return {
        "id": f"{actor.id}/statuses/{n}",
        "type": "Note",
        "attributedTo": actor.id,
        "to": [PUBLIC],
        "content": f"<p>{text}</p>",
    }


def activity(actor: RemoteActor, kind: str, obj: Any, n: int) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.id}/activities/{kind.lower()}-{n}",
        "type": kind,
        "actor": actor.id,
        "to": [PUBLIC],
        "object": obj,
    }


async def run_once(world: Harness) -> int:
    """One batch, with time enough for all of it (a loaded test machine is slow)."""
    return await worker.run_once(world.node, budget=60)


async def state_of(world: Harness, activity_id: str) -> InboxItem:
    item = await world.row(InboxItem, activity_id=activity_id)
    assert item is not None
    return item


async def come_due(world: Harness) -> None:
    """Time passes: every waiting row's next attempt moves an hour earlier (order kept)."""
    async with world.node.sessions() as session:
        rows = await session.exec(select(InboxItem).where(col(InboxItem.state) == "received"))
        for row in rows.all():
            row.next_attempt_at -= timedelta(hours=1)
        await session.commit()


def failing_once(monkeypatch: pytest.MonkeyPatch, note_id: str) -> list[str]:
    """The Create of ``note_id`` fails the first time it is handled (a database hiccup)."""
    calls: list[str] = []
    real = create_handler.handle

    async def flaky(session: Any, node: Any, item: InboxItem) -> None:
        calls.append(item.activity_id)
        if item.body["object"]["id"] == note_id and calls.count(item.activity_id) == 1:
            raise RuntimeError("database hiccup")
        await real(session, node, item)

    monkeypatch.setitem(dispatch.CREATE, "Note", flaky)
    return calls


async def test_one_failing_item_retries_alone_and_the_rest_of_the_batch_is_kept(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    carol = world.remote.add_actor("carol")
    await world.known(carol)
    creates = [activity(carol, "Create", note(carol, n), n) for n in range(5)]
    ids = [await store(world, body) for body in creates]
    failing_once(monkeypatch, creates[2]["object"]["id"])
    assert await run_once(world) == 5
    states = [(await state_of(world, i)).state for i in ids]
    assert states == ["processed", "processed", "received", "processed", "processed"]
    failed = await state_of(world, ids[2])
    assert failed.attempts == 1 and "database hiccup" in (failed.error or "")
    assert failed.locked_until is None and failed.next_attempt_at > failed.received_at
    # What the failed item did is undone: no post, no stream event; the others are whole.
    assert await world.row(ContentObject, ap_id=creates[2]["object"]["id"]) is None
    assert len(await world.rows(ContentObject)) == 4
    assert len(await world.rows(StreamEvent)) == 4
    await come_due(world)
    assert await run_once(world) == 1
    assert (await state_of(world, ids[2])).state == "processed"
    assert len(await world.rows(StreamEvent)) == 5


async def test_an_update_in_the_same_batch_waits_behind_its_failed_create(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    carol = world.remote.add_actor("carol")
    await world.known(carol)
    first = note(carol, 1, "first version")
    created = await store(world, activity(carol, "Create", first, 1))
    updated = await store(world, activity(carol, "Update", note(carol, 1, "second version"), 2))
    other = await store(world, activity(carol, "Create", note(carol, 2), 3))
    calls = failing_once(monkeypatch, first["id"])
    await run_once(world)
    create_row, update_row = await state_of(world, created), await state_of(world, updated)
    assert create_row.state == update_row.state == "received"
    assert update_row.attempts == 0  # it waited; it did not fail
    assert update_row.next_attempt_at > create_row.next_attempt_at
    assert (await state_of(world, other)).state == "processed"  # another object: not held
    await come_due(world)
    while await run_once(world):
        pass
    assert calls == [created, other, created]
    assert (await state_of(world, updated)).state == "processed"
    post = await world.row(ContentObject, ap_id=first["id"])
    assert post is not None and "second version" in post.content


async def test_a_delete_in_a_later_batch_waits_behind_a_create_still_to_be_retried(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    carol = world.remote.add_actor("carol")
    await world.known(carol)
    first = note(carol, 1)
    created = await store(world, activity(carol, "Create", first, 1))
    failing_once(monkeypatch, first["id"])
    await run_once(world)
    create_row = await state_of(world, created)
    assert create_row.state == "received" and create_row.attempts == 1
    # The Delete arrives while the Create waits for its retry: it must not go first.
    deleted = await store(world, activity(carol, "Delete", first["id"], 2))
    await run_once(world)
    delete_row = await state_of(world, deleted)
    assert delete_row.state == "received" and delete_row.attempts == 0
    assert delete_row.next_attempt_at > create_row.next_attempt_at
    await come_due(world)
    while await run_once(world):
        pass
    assert (await state_of(world, created)).state == "processed"
    assert (await state_of(world, deleted)).state == "processed"
    post = await world.row(ContentObject, ap_id=first["id"])
    assert post is not None and post.deleted_at is not None  # created, then deleted


async def test_an_item_that_needs_the_network_is_handled_alone_after_the_batch(
    world: Harness,
) -> None:
    known, stranger = world.remote.add_actor("carol"), world.remote.add_actor("dave")
    await world.known(known)  # dave is not: his activity needs a fetch of his actor
    ids = [
        await store(world, activity(known, "Create", note(known, 1), 1)),
        await store(world, activity(stranger, "Create", note(stranger, 1), 1)),
        await store(world, activity(stranger, "Update", note(stranger, 1, "edited"), 2)),
        await store(world, activity(known, "Create", note(known, 2), 2)),
    ]
    assert await run_once(world) == 4
    assert [(await state_of(world, i)).state for i in ids] == ["processed"] * 4
    post = await world.row(ContentObject, ap_id=f"{stranger.id}/statuses/1")
    assert post is not None and "edited" in post.content  # his Update came after his Create


async def test_a_refused_item_is_rejected_alone(world: Harness) -> None:
    carol, dave = world.remote.add_actor("carol"), world.remote.add_actor("dave")
    await world.known(carol)
    await world.known(dave)
    forged = activity(carol, "Create", {**note(carol, 1), "attributedTo": dave.id}, 1)
    ids = [
        await store(world, forged),
        await store(world, activity(carol, "Create", note(carol, 2), 2)),
    ]
    await run_once(world)
    rejected, kept = await state_of(world, ids[0]), await state_of(world, ids[1])
    assert rejected.state == "rejected" and "attributed" in (rejected.error or "")
    assert kept.state == "processed"
