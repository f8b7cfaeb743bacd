"""The delivery worker: lease due rows, sign and POST them, record outcomes in batches.

Shape, and why:

* **A pipeline: one loop, one task per delivery, bookkeeping in turns.**
  The loop claims rows and starts sends while there is room; each send
  signs only once its connection is open (:meth:`federation.client.SafeClient.deliver`),
  so the first request leaves after one signature, not after a whole
  claim's, and connects, signatures, writes and answers interleave. A host
  that answers in two seconds holds only its own slots while everything
  else keeps flowing. New rows are claimed within milliseconds of their
  commit, on this machine (the outbox beacon, :mod:`storage.wakeups`), else
  at the next poll; the first claim after a pause is small (one round of
  sends), so the first request does not wait for a large claim's reads and
  payloads.
* **One transaction at a time, and each does all that is owed.** A turn
  writes the finished outcomes and leases the next rows in one commit
  (:meth:`DeliveryWorker._turn`), taken by the loop when it wants rows or by
  the outcome writer (a task of its own, so sends never wait for a commit)
  when outcomes have waited long enough. On a busy loop each await of a
  transaction waits behind the ready steps of dozens of sends, so a
  transaction takes many times its CPU; two of them in a row (outcomes,
  then the claim behind them) let the sends run dry. Turns and the lease
  renewal never overlap (``_writing``): on SQLite they would wait for each
  other's write lock in the busy handler's coarse sleeps.
* **Two caps**, all sends and per host (:mod:`outbox.holdings`).
* **Nothing only in memory.** Every row the worker holds is leased in the
  database; the lease is short (30 s by default) and renewed while the row
  waits or is in flight. ``kill -9`` loses nothing: the leases lapse and
  another worker (or this one, restarted) sends the rows again. Our own
  inbox, like every fediverse inbox, drops an activity id it has seen, so
  the at-least-once resend is harmless.
* **Per-activity work is done once.** The body is serialized once per
  activity and the signing key parsed once per author (cached); each POST
  is still signed afresh (new ``Date``, per-inbox ``(request-target)``).

Its knobs are :class:`outbox.config.DeliveryConfig`; retry rules are
:mod:`outbox.retry`, the host breaker :mod:`outbox.breaker`, the SQL
:mod:`outbox.queue` (taking work) and :mod:`outbox.record` (outcomes), and
when outcomes are written :mod:`outbox.outcomes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from outbox import queue, record
from outbox.attempt import Poster, Signers, attempt
from outbox.config import DeliveryConfig
from outbox.holdings import Holdings
from outbox.outcomes import Outcomes
from outbox.retry import Outcome
from storage.beacons import Beacon, resolve
from storage.engine import SessionMaker
from storage.wakeups import LOOK_EVERY, OUTBOX, idle_until, queue_beacon

log = logging.getLogger(__name__)


class DeliveryNode(Protocol):
    """What the worker needs from the running node (``actors.context.NodeContext`` fits)."""

    @property
    def sessions(self) -> SessionMaker: ...

    @property
    def client(self) -> Poster: ...


_MIN_CLAIM_INTERVAL = 0.01
_PROBE_CHECK_INTERVAL = 0.25
#: Sends started per pass of the event loop (see :meth:`DeliveryWorker.dispatch`).
_WAVE = 8


class DeliveryWorker:
    """One process's share of the queue; run several against one PostgreSQL."""

    def __init__(
        self,
        sessions: SessionMaker,
        client: Poster,
        config: DeliveryConfig | None = None,
        *,
        rng: random.Random | None = None,
        beacon: Beacon | None = None,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.config = config or DeliveryConfig()
        self.rng = rng or random.Random()
        #: Stamped when deliveries are committed (:mod:`storage.wakeups`).
        self.beacon = beacon
        self._beacon_seen = 0.0
        self.rows = Holdings(self.config.concurrency, self.config.per_host)
        self.outcomes = Outcomes(self.config)
        self.tasks: set[asyncio.Task[None]] = set()
        self.signers = Signers()
        #: Set when a send finishes (a slot is free) or stop is asked; ends a pause.
        self._woken = False
        self._waiter: asyncio.Future[None] | None = None
        self.sent = 0
        self._hosts_were_full = False
        self._next_probe_check = 0.0
        self._dispatch_due = False  # a dispatch is scheduled for the loop's next pass
        #: One transaction of this worker at a time (claims, outcomes, leases).
        self._writing = asyncio.Lock()

    # -- the loop ---------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        cfg = self.config
        loop = asyncio.get_running_loop()
        next_claim = next_heartbeat = loop.time()
        next_expire = loop.time() + cfg.expire_every
        heartbeat = cfg.lease.total_seconds() / 3
        stopping = asyncio.ensure_future(stop.wait())
        stopping.add_done_callback(lambda _: self._wake())
        self.outcomes.closing = False
        flusher = asyncio.create_task(self._flush_forever())
        try:
            while not stop.is_set():
                now = loop.time()
                if self.beacon is not None and (stamp := self.beacon.last()) > self._beacon_seen:
                    self._beacon_seen = stamp
                    next_claim = now  # new rows were committed: no need to wait for the poll
                if now >= next_claim and self._wants_rows():
                    claimed = await self._turn(claim=True)
                    wait = _MIN_CLAIM_INTERVAL if claimed else cfg.idle_poll
                    next_claim = loop.time() + wait
                self.dispatch()
                if loop.time() >= next_heartbeat:
                    await self._heartbeat()
                    next_heartbeat = loop.time() + heartbeat
                if loop.time() >= next_expire:
                    await self._expire()
                    next_expire = loop.time() + cfg.expire_every
                deadlines = [next_heartbeat, next_expire]
                if self._wants_rows():
                    deadlines.append(next_claim)
                self._woken = False
                await self._pause(stop, min(deadlines))
                if self._woken and self._hosts_were_full:
                    # A slot freed up on a host that had more rows than room.
                    next_claim = min(next_claim, loop.time() + _MIN_CLAIM_INTERVAL)
        finally:
            stopping.cancel()
            await self._drain(flusher)

    async def _pause(self, stop: asyncio.Event, deadline: float) -> None:
        """Wait for ``deadline``, a freed slot or ``stop`` (:meth:`_wake`), or new rows.

        A busy fan-out pauses once per finished send or so: one future and
        one timer each, rather than the tasks ``asyncio.wait_for`` would make.
        """
        loop = asyncio.get_running_loop()
        rows = self.rows
        if self.beacon is None or rows.held or rows.running or self.outcomes.waiting:
            if self._woken or stop.is_set():
                return
            waiter = self._waiter = loop.create_future()
            if self.beacon is not None and self._wants_rows():
                # Busy, with room: a post committed now must not wait for the poll.
                deadline = min(deadline, loop.time() + LOOK_EVERY)
                self.beacon.wake_on_stamp(waiter)
            timer = loop.call_at(deadline, resolve, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
            return
        # Idle: nothing in flight can wake us; new rows stamp the beacon.
        await idle_until(self.beacon, self._beacon_seen, stop, deadline - loop.time())

    def _wake(self) -> None:
        self._woken = True
        if self._waiter is not None:
            resolve(self._waiter)

    def _wants_rows(self) -> bool:
        """Room for rows, and a claim worth making now.

        While every send slot is busy, rows are claimed only once fewer than
        two rounds wait, and then as many as there is room for: a claim costs
        a few milliseconds of CPU whether it brings 30 rows or 200, and small
        claims after every few sends cost a fan-out a tenth of its CPU; but
        it may take a hundred milliseconds to land (its awaits wait behind
        the sends' steps on the loop), and the sends must not run dry
        meanwhile. With a slot free (after :meth:`dispatch`, so whatever
        waits is for hosts at their cap), any room is worth a claim.
        """
        rows = self.rows
        if rows.room() <= 0:
            return False
        if rows.running < self.config.concurrency:
            return True
        return rows.n_waiting < self.config.concurrency * 2

    async def _turn(self, *, claim: bool) -> int:
        """One transaction: write the finished outcomes, then (``claim``) lease more rows.

        The outcomes and the next rows share a commit: on a busy loop every
        await of a transaction waits for the ready steps of dozens of sends,
        so one transaction takes far longer than its CPU, and a claim that
        queued behind a separate write of outcomes let the sends run dry.
        Returns how many rows were leased.
        """
        if claim and not self.rows.held:
            # A fan-out may start now: rules that went stale while we idled
            # are read beside the claim, not before its first request.
            warming = asyncio.ensure_future(self.client.warm_gate())
            warming.add_done_callback(_quietly)
        async with self._writing:
            batch = self.outcomes.take()
            if not batch and not claim:
                return 0
            try:
                async with self.sessions() as session:
                    if batch:
                        await record.record(
                            session,
                            batch,
                            retry=self.config.retry,
                            breaker_policy=self.config.breaker,
                            rng=self.rng,
                        )
                    jobs, loaded = await self._lease(session) if claim else ([], {})
                    await session.commit()
            except Exception:
                log.exception("delivery bookkeeping failed (%d outcomes kept)", len(batch))
                self.outcomes.give_back(batch)
                return 0
        self.rows.settled(result.job.id for result in batch)
        self.sent += sum(1 for r in batch if r.outcome is Outcome.SENT)
        self.rows.take(jobs, loaded)
        if not self.rows.held:
            self._wake()  # all done: the loop may go idle (and watch the beacon)
        return len(jobs)

    async def _lease(
        self, session: AsyncSession
    ) -> tuple[list[queue.Job], dict[int, queue.Payload]]:
        """Lease due rows (and any breaker probes), and the payloads not cached."""
        cfg = self.config
        room = self.rows.host_room()
        self._hosts_were_full = any(free <= 0 for free in room.values())
        loop = asyncio.get_running_loop()
        jobs: list[queue.Job] = []
        if loop.time() >= self._next_probe_check:
            # Half-open hosts come due on a scale of seconds: no need to
            # look for them at every claim of a busy fan-out.
            self._next_probe_check = loop.time() + _PROBE_CHECK_INTERVAL
            jobs += await queue.arm_probes(session, cfg.breaker)
        # Nothing in hand: one round of sends, so the first leaves soon.
        batch = cfg.claim_batch if self.rows.held else cfg.concurrency
        jobs += await queue.claim_jobs(
            session,
            limit=min(batch, self.rows.room()),
            lease=cfg.lease,
            room=room,
            per_host=cfg.per_host * 2,
        )
        return jobs, await queue.load_payloads(session, self.rows.missing_payloads(jobs))

    def dispatch(self) -> None:
        """Start sends while there is room, oldest-claimed first, round the hosts.

        At most :data:`_WAVE` at a time: a send's first step (the federation
        gate, the connect's system calls) costs a tenth of a millisecond, and
        sixty-four of them in one pass of the loop would hold back the first
        signature, and every answer, by several milliseconds. The rest start
        at the next pass, after the loop has attended to the sockets.
        """
        self._dispatch_due = False
        for started, job in enumerate(self.rows.ready(), start=1):
            payload = self.rows.payloads.get(job.activity_id)
            task = asyncio.create_task(self._send(job, payload))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            if started == _WAVE:
                self._dispatch_due = True
                asyncio.get_running_loop().call_soon(self.dispatch)
                return

    # -- one delivery ------------------------------------------------------

    async def _send(self, job: queue.Job, payload: queue.Payload | None) -> None:
        try:
            self.outcomes.add(await attempt(self.client, job, payload, self.signers))
        finally:
            self.rows.finished(job)
            if not self._dispatch_due:
                self.dispatch()
            if self._is_idle():
                self.outcomes.settle()
            if not self.rows.running or self._wants_rows():
                self._wake()  # else the loop has nothing to do: rows wait, slots are busy

    # -- bookkeeping -------------------------------------------------------

    def _is_idle(self) -> bool:
        """No send in flight and no row waiting: no more outcomes soon."""
        return not self.rows.running and not self.rows.n_waiting

    async def _flush_forever(self) -> None:
        """The writer of outcomes (:mod:`outbox.outcomes` says when it writes).

        A task of its own, so that sends go on starting while a batch commits
        (on SQLite a commit can wait for the disk, on PostgreSQL for a round
        trip); a claim of the loop's that comes first writes the outcomes
        with its rows. Ends when the worker closes; :meth:`_drain` writes
        what is left.
        """
        outcomes = self.outcomes
        while not outcomes.closing:
            await outcomes.due(self._is_idle)
            if outcomes.closing:
                return
            # Rows are leased too when there is room: this commit is paid anyway.
            if await self._turn(claim=self._wants_rows()):
                self.dispatch()

    async def _heartbeat(self) -> None:
        try:
            async with self._writing, self.sessions() as session:
                await queue.extend_leases(session, self.rows.held, self.config.lease)
                await session.commit()
        except Exception:
            log.exception("renewing delivery leases failed")

    async def _expire(self) -> None:
        try:
            async with self._writing, self.sessions() as session:
                expired = await queue.expire_stale(session, self.config.max_age)
                await session.commit()
            if expired:
                log.warning("%d deliveries expired (hosts unreachable for too long)", expired)
        except Exception:
            log.exception("expiring stale deliveries failed")

    async def _drain(self, flusher: asyncio.Task[None]) -> None:
        """Stop: give back rows not started, let sends finish briefly, write outcomes."""
        waiting = self.rows.unstarted()
        with contextlib.suppress(Exception):
            async with self.sessions() as session:
                await queue.release(session, waiting)
                await session.commit()
            self.rows.settled(waiting)
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=self.config.stop_grace)
        for task in list(self.tasks):
            task.cancel()  # its lease runs out and the row is sent again later
        # Let a batch being written finish (a cancelled commit would only
        # mean resending its rows), then write the rest here.
        self.outcomes.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(flusher), self.config.stop_grace)
        flusher.cancel()
        with contextlib.suppress(Exception):
            # Rows are leased too when there is room: this commit is paid anyway.
            if await self._turn(claim=self._wants_rows()):
                self.dispatch()


def _quietly(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and (error := done.exception()) is not None:
        log.warning("warming the federation gate failed: %s", error)


async def run_forever(
    node: DeliveryNode, stop: asyncio.Event, config: DeliveryConfig | None = None
) -> None:
    """Deliver until ``stop`` is set (``staffroom serve`` and ``staffroom worker`` call this)."""
    worker = DeliveryWorker(
        node.sessions, node.client, config, beacon=queue_beacon(node.sessions, OUTBOX)
    )
    while not stop.is_set():
        try:
            await worker.run(stop)
        except Exception:
            log.exception("delivery worker crashed; restarting")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
