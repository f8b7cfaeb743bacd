"""Group commit for received activities.

Each inbox request must not answer 202 until its activity is durably stored,
but a commit per request (with SQLite's single writer lock contended by a pool
of connections) caps ingress at a few hundred per second. One writer task
drains every waiting request into a single multi-row INSERT and one commit,
then answers them all: latency stays at one commit, throughput grows with load.

The writer keeps one connection, in autocommit mode: the INSERT is one
statement, hence its own atomic transaction, so on PostgreSQL a batch costs
one round trip instead of four (pool checkout ping, BEGIN, INSERT, COMMIT),
and on SQLite one hop to the driver's thread instead of three. A connection
found dead (the server restarted) is replaced and the batch sent again:
nothing was stored by a statement that never arrived, and one that arrived
is not stored twice (ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.beacons import beacon
from storage.dialects import insert_for
from storage.ids import new_id
from storage.models import InboxItem
from storage.types import utcnow
from storage.wakeups import INBOX

log = logging.getLogger(__name__)

MAX_BATCH = 500
#: Ingress counts as busy until no batch was stored, or waited to be, for this long.
QUIET_IDLE = 0.02
ID_COLLISION_RETRIES = 3
_TABLE: Table = InboxItem.__table__  # type: ignore[attr-defined]


@dataclass
class _Pending:
    values: dict[str, Any]
    done: asyncio.Future[bool]


class InboxWriter:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_batch: int = MAX_BATCH,
        ids: Callable[[], int] = new_id,
    ) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._ids = ids
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._last_write = 0.0
        self._held: AsyncConnection | None = None
        # Heeded by workers in other processes: see quiet().
        self._beacon = beacon(engine.url, "ingress")
        #: Wakes idle inbox workers (:mod:`storage.wakeups`) once a batch is stored.
        self._stored = beacon(engine.url, INBOX)
        insert = insert_for(engine.dialect.name)
        self._statement = (
            insert(_TABLE)
            .on_conflict_do_nothing(index_elements=["activity_id"])
            .returning(_TABLE.c.activity_id)
        )

    async def quiet(self, *, idle: float = QUIET_IDLE, max_wait: float = 0.1) -> None:
        """Wait (at most ``max_wait``) until no activity was stored for ``idle`` seconds.

        In-process workers call this before each item so that ingress goes
        first: on SQLite a background transaction holding the one write lock
        makes waiting requests' 202s wait behind it, and on any database the
        worker's CPU is taken from the requests (and, on PostgreSQL, the
        server's). The bound keeps a steady stream of requests from starving
        the worker. It also heeds the web processes of a multi-process node
        (the ingress beacon).
        """
        deadline = time.monotonic() + max_wait
        while time.monotonic() < deadline:
            last = max(self._last_write, self._beacon.last() if self._beacon else 0.0)
            if self._queue.empty() and time.monotonic() - last >= idle:
                return
            await asyncio.sleep(idle)

    async def store(self, values: dict[str, Any]) -> bool:
        """Durably store one received activity; True if new, False if its id was known."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(values, done))
        return await done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._release()

    async def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            with contextlib.suppress(Exception):
                await held.close()

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                inserted = await self._write_marked(batch)
            except Exception as exc:
                log.exception("storing %d received activities failed", len(batch))
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            if self._stored is not None and any(inserted):
                self._stored.stamp()
            for item, is_new in zip(batch, inserted, strict=True):
                if not item.done.done():
                    item.done.set_result(is_new)

    def _mark(self) -> None:
        self._last_write = time.monotonic()
        if self._beacon is not None:
            self._beacon.stamp()

    async def _write_marked(self, batch: list[_Pending]) -> list[bool]:
        """:meth:`_write`, with ingress stamped busy until it is done.

        On SQLite a write can wait for the lock that a worker's batch holds.
        Stamped only when it began, it would look idle to the workers after
        ``QUIET_IDLE``, so they would start their next batch with the quiet
        (long) budget and keep the lock from it longer still: 202s then wait
        for hundreds of milliseconds. So the stamp is renewed while it waits.
        """
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None

        def renew() -> None:
            nonlocal timer
            self._mark()
            timer = loop.call_later(QUIET_IDLE / 2, renew)

        renew()
        try:
            return await self._write(batch)
        finally:
            assert timer is not None
            timer.cancel()
            self._mark()

    async def _write(self, batch: list[_Pending]) -> list[bool]:
        """Insert the batch in one statement; for each item, whether it was new.

        Row ids are made in each process (see :mod:`storage.ids`). Serving
        processes hold distinct tags, but a process without one (a command
        run beside the node) can, rarely, mint an id that is taken. The
        statement then fails as a whole and inserted nothing: it is retried
        with fresh ids. Any other integrity error fails every request in it.
        """
        for attempt in range(ID_COLLISION_RETRIES + 1):
            try:
                inserted = await self._insert(batch)
                break
            except IntegrityError:
                if attempt == ID_COLLISION_RETRIES:
                    raise
                log.warning("id collision storing %d activities; retrying", len(batch))
        # A duplicate inside one batch is stored once: only its first copy is "new".
        answer: list[bool] = []
        for item in batch:
            activity_id = item.values["activity_id"]
            answer.append(activity_id in inserted)
            inserted.discard(activity_id)
        return answer

    async def _insert(self, batch: list[_Pending]) -> set[str]:
        """One multi-row INSERT; the activity ids that were new."""
        now = utcnow()
        rows: dict[str, dict[str, Any]] = {}
        for item in batch:
            activity_id = item.values["activity_id"]
            # The first copy of an id in a batch wins; later copies are redeliveries.
            rows.setdefault(
                activity_id,
                {
                    "id": self._ids(),
                    "state": "received",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "received_at": now,
                    "locked_until": None,
                    "error": None,
                    "recipient_id": None,
                    **item.values,
                },
            )
        # executemany of one constant statement: compiled once and cached, sent
        # as one multi-row INSERT (MAX_BATCH is below SQLAlchemy's "insertmanyvalues"
        # page size, so the batch is never split into several statements).
        try:
            return await self._execute_held(list(rows.values()))
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise  # the statement failed (an integrity error); the connection is fine
        log.warning("the inbox writer's database connection was lost; reconnecting")
        return await self._execute_held(list(rows.values()))

    async def _execute_held(self, rows: list[dict[str, Any]]) -> set[str]:
        if self._held is None:
            conn = await self._engine.connect()
            self._held = await conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            result = await self._held.execute(self._statement, rows)
            return {row[0] for row in result}
        except DBAPIError as exc:
            if exc.connection_invalidated:
                await self._release()
            raise
        except BaseException:
            # Cancelled mid-statement: the connection's state is unknown.
            await self._release()
            raise
