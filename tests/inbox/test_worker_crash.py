"""kill -9 in the middle of an inbox batch loses nothing and doubles nothing.

A real ``staffroom serve`` (the inbox worker in-process) finds 1,000 stored
Creates from 30 remote senders that a local teacher follows. Once some but
not all are handled, and while a batch's transaction is open (it has
written and not committed: SQLite's write lock is held, or PostgreSQL shows
a transaction with an id), we SIGKILL the node, start it again on the same
database, and wait. Every activity must end processed, with exactly one
post, one stream event and one mailbox row each: a batch is one
transaction (its claim included), so the killed batch left nothing behind
and its items were handled once, after the restart.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from federation.constants import PUBLIC
from federation.jsonld import normalize
from storage.ids import new_id
from storage.models import ContentObject, Follow, FollowState, InboxItem, InboxState, MailboxEntry
from storage.models.streams import StreamEvent
from storage.repos.inbox import insert_once
from tests.support.node import Node, run_async, wait_until
from tests.support.outbox import make_remote

SENDERS = 30
ITEMS = 1000
REMOTE = "http://remote.invalid"  # never fetched: every sender is already known


@pytest.fixture(scope="module")
def node(module_db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    n = Node(tmp_path_factory.mktemp(f"inbox-crash-{module_db_kind}"), module_db_kind)
    n.migrate()
    try:
        yield n
    finally:
        n.close()


def create(actor: str, n: int) -> dict[str, Any]:
    note = f"{actor}/statuses/{uuid.uuid4().hex}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note}/activity",
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": actor,
            "to": [PUBLIC],
            "cc": [f"{actor}/followers"],
            "content": f"<p>worksheet {n}</p>",
            "published": "2026-12-01T10:00:00Z",
        },
    }


def seed(node: Node) -> None:
    teacher = node.create_user("reader")

    async def work(session: Any) -> None:
        senders = []
        for i in range(SENDERS):
            actor = await make_remote(session, f"{REMOTE}/users/s{i}")
            actor.followers_url = f"{actor.ap_id}/followers"
            senders.append(actor)
        await session.flush()
        for actor in senders:
            session.add(
                Follow(
                    id=new_id(),
                    follower_id=teacher.id,
                    followee_id=actor.id,
                    state=FollowState.ACCEPTED,
                    activity_ap_id=f"{node.base_url}/follows/{actor.id}",
                )
            )
        for n in range(ITEMS):
            actor_id = senders[n % SENDERS].ap_id
            activity = normalize(create(actor_id, n))
            await insert_once(
                session,
                {
                    "activity_id": activity["id"],
                    "activity_type": "Create",
                    "actor_ap_id": actor_id,
                    "recipient_id": None,
                    "key_id": f"{actor_id}#main-key",
                    "body": activity,
                },
            )

    node.with_session(work)


def handled(node: Node) -> int:
    async def work(session: Any) -> int:
        query = select(func.count()).select_from(InboxItem).where(InboxItem.state != "received")
        return int((await session.exec(query)).one())

    return node.with_session(work)


def batch_open(node: Node) -> bool:
    """Has a transaction of the node written something it has not committed yet?"""
    url = node.settings.database_url
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        probe = sqlite3.connect(path, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:  # "database is locked": a writer is mid-transaction
            return True
        finally:
            probe.close()

    async def work(session: Any) -> bool:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        return int((await session.exec(query)).one()[0]) > 0

    return node.with_session(work)


def outcome(node: Node) -> dict[str, Any]:
    async def work(session: Any) -> dict[str, Any]:
        async def count(query: Any) -> int:
            return int((await session.exec(query)).one())

        per_object = select(StreamEvent.object_id, func.count().label("n")).group_by(
            StreamEvent.object_id
        )
        events = (await session.exec(per_object)).all()
        by_state = select(InboxItem.state, func.count()).group_by(InboxItem.state)
        return {
            "states": dict((await session.exec(by_state)).all()),
            "objects": await count(select(func.count()).select_from(ContentObject)),
            "distinct_objects": await count(select(func.count(func.distinct(ContentObject.ap_id)))),
            "events": sum(n for _, n in events),
            "events_twice": sum(1 for _, n in events if n > 1),
            "mailbox": await count(select(func.count()).select_from(MailboxEntry)),
            "mailbox_items": await count(
                select(func.count(func.distinct(MailboxEntry.inbox_item_id)))
            ),
        }

    return node.with_session(work)


@pytest.mark.timeout(400)
def test_kill_9_mid_batch_loses_and_doubles_nothing(node: Node) -> None:
    seed(node)
    node.start()
    try:

        def mid_batch() -> bool:
            done = handled(node)
            return ITEMS * 0.1 <= done < ITEMS * 0.8 and batch_open(node)

        wait_until(mid_batch, timeout=120, interval=0.002)
        node.stop(kill=True)
        at_kill = handled(node)
        assert 0 < at_kill < ITEMS, at_kill
        assert not batch_open(node)  # the killed batch's transaction is gone, not pending

        node.start()
        wait_until(lambda: handled(node) == ITEMS, timeout=240, interval=0.2)
    finally:
        node.stop()
    found = outcome(node)
    assert found["states"] == {InboxState.PROCESSED: ITEMS}, found
    # One post, one stream event and one mailbox row per activity: none lost, none doubled.
    assert found["objects"] == found["distinct_objects"] == ITEMS, found
    assert found["events"] == ITEMS and found["events_twice"] == 0, found
    assert found["mailbox"] == found["mailbox_items"] == ITEMS, found
    print(f"\n[{node.database_url.split(':')[0]}] handled at the kill: {at_kill} of {ITEMS}")


def test_the_probe_sees_an_open_write(node: Node) -> None:
    """The test above relies on :func:`batch_open`: it must see a transaction that wrote."""

    async def hold() -> None:
        from storage.engine import create_engine, create_sessionmaker

        engine = create_engine(node.settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                await session.exec(text("UPDATE inbox_items SET attempts = attempts"))
                if node.settings.database_url.startswith("postgresql"):
                    await session.exec(text("SELECT txid_current()"))
                seen = await _in_thread(batch_open, node)
                await session.rollback()
        finally:
            await engine.dispose()
        assert seen

    assert not batch_open(node)
    run_async(hold)


async def _in_thread(fn: Any, *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(fn, *args)
