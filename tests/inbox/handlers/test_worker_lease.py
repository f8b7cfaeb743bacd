"""A row the worker has just leased is its own; one whose lease lapsed is read again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from inbox import dispatch, worker
from storage.jobs import claim
from storage.models import InboxItem, InboxState
from storage.models.inbox import LEASE_SECONDS
from storage.types import utcnow
from tests.inbox.handlers.conftest import Harness
from tests.support.statements import selects_from


async def waiting_like(world: Harness) -> str:
    """A Like from carol, stored as the inbox stores it, not yet handled."""
    carol = world.remote.add_actor("carol")
    activity_id = f"{carol.id}/likes/1"
    await world.node.inbox_writer.store(
        {
            "activity_id": activity_id,
            "activity_type": "Like",
            "actor_ap_id": carol.id,
            "key_id": carol.key_id,
            "body": {"id": activity_id, "type": "Like", "actor": carol.id, "object": "x:y"},
        }
    )
    return activity_id


async def leased(world: Harness) -> InboxItem:
    async with world.node.sessions() as session:
        (item,) = await claim(
            session,
            InboxItem,
            ready_state=InboxState.RECEIVED,
            limit=10,
            lease=timedelta(seconds=LEASE_SECONDS),
        )
        await session.commit()
    return item


def counting_handler(monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> list[str]:
    seen: list[str] = []

    async def handler(_session: Any, _node: Any, item: InboxItem) -> None:
        seen.append(item.activity_id)
        if fail:
            raise RuntimeError("database hiccup")

    monkeypatch.setitem(dispatch.HANDLERS, "Like", handler)
    return seen


async def test_a_freshly_leased_row_is_handled_without_reading_it_again(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    handled = counting_handler(monkeypatch)
    activity_id = await waiting_like(world)
    item = await leased(world)
    with selects_from(world.node.sessions.kw["bind"].sync_engine, "inbox_items") as reads:
        await worker.process_item(world.node, item)
    assert handled == [activity_id] and reads == []
    done = await world.row(InboxItem, activity_id=activity_id)
    assert (done.state, done.locked_until) == (InboxState.PROCESSED, None)


async def test_a_row_whose_lease_lapsed_and_was_handled_elsewhere_is_left_alone(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    handled = counting_handler(monkeypatch)
    activity_id = await waiting_like(world)
    item = await leased(world)
    # Our batch ran long: the lease ran out, and another worker handled the row.
    async with world.node.sessions() as session:
        other = await session.get(InboxItem, item.id)
        assert other is not None
        other.state, other.locked_until = InboxState.PROCESSED, None
        await session.commit()
    item.locked_until = utcnow() - timedelta(seconds=1)
    await worker.process_item(world.node, item)
    assert handled == []
    done = await world.row(InboxItem, activity_id=activity_id)
    assert (done.state, done.attempts) == (InboxState.PROCESSED, 0)


async def test_a_freshly_leased_row_whose_handler_fails_becomes_a_retry(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting_handler(monkeypatch, fail=True)
    activity_id = await waiting_like(world)
    await worker.process_item(world.node, await leased(world))
    done = await world.row(InboxItem, activity_id=activity_id)
    assert (done.state, done.attempts, done.locked_until) == (InboxState.RECEIVED, 1, None)
    assert "database hiccup" in done.error
