"""What one delivery worker holds between the database and the wire.

Every row here is leased in the database (:mod:`outbox.queue`); this is the
worker's own view of them: rows waiting per host for a free slot, how many
sends run in all and per host, and the payloads of recent activities (one
read per activity, however many inboxes it goes to).

Two caps: ``concurrency`` sends in flight in all, and ``per_host`` per host
(a server we would otherwise hit with dozens of parallel POSTs; and the
reason one slow host cannot take every slot). Each host may also have up to
``per_host`` rows waiting here, so its next send starts without a database
round trip; :meth:`Holdings.host_room` tells a claim how many more each may
take.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator

from outbox.queue import Job, Payload

#: Rows held (in flight or waiting) at most, in rounds of ``concurrency``.
HELD_ROUNDS = 4
PAYLOAD_CACHE = 512


class Holdings:
    def __init__(self, concurrency: int, per_host: int) -> None:
        self.concurrency = concurrency
        self.per_host = per_host
        self.waiting: dict[str, deque[Job]] = {}
        self.n_waiting = 0  # rows in ``waiting``
        self.active: dict[str, int] = {}
        self.running = 0
        self.held: set[int] = set()  # leased ids: waiting, in flight or unrecorded
        self.payloads: OrderedDict[int, Payload] = OrderedDict()

    def room(self) -> int:
        """How many more rows this worker may hold."""
        return self.concurrency * HELD_ROUNDS - self.running - self.n_waiting

    def host_room(self) -> dict[str, int]:
        """How many more rows each host we hold rows for may have (none: full)."""
        cap = self.per_host * 2
        hosts = set(self.waiting) | set(self.active)
        return {h: cap - self.active.get(h, 0) - len(self.waiting.get(h, ())) for h in hosts}

    def missing_payloads(self, jobs: Iterable[Job]) -> set[int]:
        return {j.activity_id for j in jobs if j.activity_id not in self.payloads}

    def take(self, jobs: list[Job], loaded: dict[int, Payload]) -> None:
        """Queue leased rows per host; keep their payloads (the most recent few hundred)."""
        for activity_id, payload in loaded.items():
            self.payloads[activity_id] = payload
        for activity_id in {j.activity_id for j in jobs}:
            if activity_id in self.payloads:
                self.payloads.move_to_end(activity_id)
        while len(self.payloads) > PAYLOAD_CACHE:
            self.payloads.popitem(last=False)
        for job in jobs:
            self.held.add(job.id)
            self.waiting.setdefault(job.host, deque()).append(job)
            self.n_waiting += 1

    def ready(self) -> Iterator[Job]:
        """Rows that may be sent now, host by host, each counted as started when yielded."""
        for host in list(self.waiting):
            waiting = self.waiting[host]
            while (
                waiting
                and self.running < self.concurrency
                and self.active.get(host, 0) < self.per_host
            ):
                job = waiting.popleft()
                if not waiting:
                    del self.waiting[host]  # before the yield: the caller may stop there
                self.n_waiting -= 1
                self.active[host] = self.active.get(host, 0) + 1
                self.running += 1
                yield job
            if self.running >= self.concurrency:
                return

    def finished(self, job: Job) -> None:
        """``job``'s send is over (its row stays held until its outcome is written)."""
        self.running -= 1
        left = self.active.get(job.host, 1) - 1
        if left > 0:
            self.active[job.host] = left
        else:
            self.active.pop(job.host, None)

    def settled(self, ids: Iterable[int]) -> None:
        """The outcomes of ``ids`` are written: their leases are no longer ours."""
        self.held.difference_update(ids)

    def unstarted(self) -> list[int]:
        """Stop waiting: the ids of rows never started (to give back)."""
        ids = [job.id for q in self.waiting.values() for job in q]
        self.waiting.clear()
        self.n_waiting = 0
        return ids
