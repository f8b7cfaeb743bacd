"""Claiming delivery rows (:func:`outbox.queue.claim_jobs`) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from outbox.queue import claim_jobs
from storage.engine import SessionMaker
from storage.models import Delivery
from storage.types import utcnow
from tests.support.outbox import make_author, queue_to
from tests.support.statements import before_each_statement

LEASE = timedelta(seconds=30)


async def _queue(sessions: SessionMaker, hosts: int, per_host: int) -> list[int]:
    async with sessions() as session:
        author = await make_author(session, "http://127.0.0.1:9")
        inboxes = [
            f"https://h{h}.example/users/u{i}/inbox" for h in range(hosts) for i in range(per_host)
        ]
        await queue_to(session, author, inboxes)
        await session.commit()
        ids = (await session.exec(select(Delivery.id).order_by(col(Delivery.id)))).all()
    return [i for i in ids if i is not None]


@contextmanager
def competitor_leases_first(session: AsyncSession, count: int) -> Iterator[list[int]]:
    """Lease the ``count`` oldest free rows just before the session's first lease.

    That is the moment another worker's commit lands when two workers read the
    same candidates at once: the rows we chose are leased when we try to take
    them. The competitor's write runs on the session's own connection, which
    on both backends looks to our UPDATE exactly like a lease committed by
    someone else a moment earlier.
    """
    sync_engine = session.get_bind()
    table: Any = Delivery.__table__  # type: ignore[attr-defined]
    stolen: list[int] = []

    def before(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if stolen or not statement.lstrip().startswith(f"UPDATE {table.name}"):
            return
        free = select(table.c.id).where(table.c.locked_until.is_(None))
        stolen.extend(conn.execute(free.order_by(table.c.id).limit(count)).scalars())
        lease = table.update().where(table.c.id.in_(stolen))
        conn.execute(lease.values(locked_until=utcnow() + LEASE))

    with before_each_statement(sync_engine, before):
        yield stolen


async def test_claim_takes_at_most_the_room_per_host(sessions: SessionMaker) -> None:
    await _queue(sessions, hosts=3, per_host=10)
    async with sessions() as session:
        jobs = await claim_jobs(
            session, limit=100, lease=LEASE, room={"h0.example": 1, "h1.example": 0}, per_host=4
        )
        await session.commit()
    hosts = [j.host for j in jobs]
    assert (hosts.count("h0.example"), hosts.count("h1.example"), hosts.count("h2.example")) == (
        1,
        0,
        4,
    )


async def test_a_worker_that_loses_its_rows_to_another_chooses_again(
    sessions: SessionMaker,
) -> None:
    """Losing the race for the first rows must not leave a worker empty-handed."""
    ids = await _queue(sessions, hosts=4, per_host=10)
    async with sessions() as session:
        with competitor_leases_first(session, count=8) as stolen:
            jobs = await claim_jobs(session, limit=8, lease=LEASE, room={}, per_host=10)
        await session.commit()
    assert stolen == ids[:8]
    claimed = [j.id for j in jobs]
    assert len(claimed) == 8
    assert not set(claimed) & set(stolen)
    assert sorted(claimed) == ids[8:16]


async def test_a_worker_gives_up_after_its_rounds(sessions: SessionMaker) -> None:
    """Every round lost (the competitor takes all there is): an empty claim, no error."""
    await _queue(sessions, hosts=1, per_host=5)
    async with sessions() as session:
        with competitor_leases_first(session, count=5):
            jobs = await claim_jobs(session, limit=5, lease=LEASE, room={}, per_host=10, rounds=3)
        await session.commit()
    assert jobs == []


async def test_one_hosts_backlog_holds_up_one_claim_at_most(sessions: SessionMaker) -> None:
    """The oldest 100 rows are one host's: the next claim, with that host full, reaches the rest."""
    async with sessions() as session:
        author = await make_author(session, "http://127.0.0.1:9")
        await queue_to(session, author, [f"https://busy.example/u{i}/inbox" for i in range(100)])
        await queue_to(session, author, [f"https://h{h}.example/inbox" for h in range(5)])
        await session.commit()
    async with sessions() as session:
        first = await claim_jobs(session, limit=10, lease=LEASE, room={}, per_host=4)
        second = await claim_jobs(
            session, limit=10, lease=LEASE, room={"busy.example": 0}, per_host=4
        )
        await session.commit()
    assert [j.host for j in first] == ["busy.example"] * 4
    assert sorted(j.host for j in second) == [f"h{h}.example" for h in range(5)]
