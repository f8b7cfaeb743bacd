"""Optimistic groups (:mod:`inbox.groups`): a burst's rows in one statement per table,
and a group that fails is handled again item by item, keeping every outcome.

Real handlers, real database (both backends), as in ``test_worker_batch.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from inbox import dispatch
from inbox.handlers import create as create_handler
from storage.ids import new_id
from storage.models import (
    ContentObject,
    Follow,
    FollowState,
    InboxItem,
    MailboxEntry,
    StreamEvent,
    Visibility,
)
from tests.inbox.handlers.conftest import Harness
from tests.inbox.handlers.test_worker_batch import activity, note, run_once, state_of, store


@contextmanager
def inserts(world: Harness) -> Iterator[Counter[str]]:
    """How many INSERT statements reach each table (an executemany is one)."""
    engine = world.node.sessions.kw["bind"].sync_engine
    seen: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        if words[:2] == ["INSERT", "INTO"]:
            seen[words[2]] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_burst_of_creates_writes_each_table_in_one_statement(world: Harness) -> None:
    carol = world.remote.add_actor("carol")
    author = await world.known(carol)
    assert author.id is not None
    alice, bob = await world.local("alice"), await world.local("bob")
    async with world.node.sessions() as session:
        for follower in (alice, bob):
            session.add(
                Follow(
                    id=new_id(),
                    follower_id=follower.id or 0,
                    followee_id=author.id,
                    state=FollowState.ACCEPTED,
                    activity_ap_id=f"{follower.ap_id}/follows/carol",
                )
            )
        await session.commit()
    ids = [await store(world, activity(carol, "Create", note(carol, n), n)) for n in range(12)]
    with inserts(world) as seen:
        assert await run_once(world) == 12
    assert {(await state_of(world, i)).state for i in ids} == {"processed"}
    assert len(await world.rows(ContentObject, author_id=author.id)) == 12
    assert len(await world.rows(StreamEvent, actor_id=author.id)) == 12
    for follower in (alice, bob):
        assert sorted(await world.mailbox_of(follower)) == sorted(ids)
    # One group: each table's rows in one statement (not one per item).
    assert seen["objects"] == seen["stream_events"] == seen["mailbox"] == 1


async def test_a_group_whose_flush_fails_is_handled_again_item_by_item(
    world: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    carol = world.remote.add_actor("carol")
    author = await world.known(carol)
    assert author.id is not None
    async with world.node.sessions() as session:
        taken = ContentObject(
            id=new_id(),
            ap_id=f"{carol.id}/statuses/taken",
            type="Note",
            author_id=author.id,
            visibility=Visibility.PUBLIC,
        )
        session.add(taken)
        await session.commit()
    creates = [activity(carol, "Create", note(carol, n), n) for n in range(5)]
    ids = [await store(world, body) for body in creates]
    calls: list[str] = []
    real = create_handler.handle

    async def clashing(session: AsyncSession, node: Any, item: InboxItem) -> None:
        """The first time, item 2 also adds a row whose id is taken: only the flush can tell."""
        calls.append(item.activity_id)
        await real(session, node, item)
        if item.activity_id == ids[2] and calls.count(item.activity_id) == 1:
            session.add(ContentObject(**{**taken.model_dump(), "id": new_id()}))

    monkeypatch.setitem(dispatch.CREATE, "Note", clashing)
    assert await run_once(world) == 5
    assert [(await state_of(world, i)).state for i in ids] == ["processed"] * 5
    # Nothing of the failed group was kept, then each item was handled once more, alone.
    assert Counter(calls) == dict.fromkeys(ids, 2)
    stored = await world.rows(ContentObject, author_id=author.id)
    assert sorted(o.ap_id for o in stored) == sorted(
        [taken.ap_id, *(c["object"]["id"] for c in creates)]
    )
    events = Counter(e.object_id for e in await world.rows(StreamEvent, actor_id=author.id))
    assert events == dict.fromkeys([o.id for o in stored], 1)  # ``taken``'s own included
    assert await world.rows(MailboxEntry) == []


async def test_a_post_naming_one_of_ours_is_handled_alone(world: Harness) -> None:
    """Mentions, students, communities: whatever names our ids takes the per-item path."""
    carol = world.remote.add_actor("carol")
    await world.known(carol)
    alice = await world.local("alice")
    mention = {**note(carol, 1), "cc": [alice.ap_id]}
    ids = [
        await store(world, activity(carol, "Create", note(carol, 0), 0)),
        await store(world, activity(carol, "Create", mention, 1)),
        await store(world, activity(carol, "Create", note(carol, 2), 2)),
    ]
    with inserts(world) as seen:
        assert await run_once(world) == 3
    assert {(await state_of(world, i)).state for i in ids} == {"processed"}
    assert seen["objects"] == 3  # no group of two or more: one by one
    assert await world.mailbox_of(alice) == [ids[1]]
