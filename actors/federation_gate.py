"""The node's federation policy, held in memory for the hot paths (inbox, fetches, deliveries).

:class:`FederationGate` keeps the latest :class:`storage.repos.domain_rules.DomainRules`.
A change is seen before the next decision, in every process of the node on
this machine: the admin API's in this process at once
(:meth:`FederationGate.invalidate`), anyone's (the CLI's, another web
process's) through the ``rules`` beacon its commit stamped
(:mod:`storage.wakeups`), read at every decision (a memory load). Otherwise
the rules are reloaded at most every :data:`REFRESH_SECONDS`, for changes
the beacon cannot carry (a node whose processes share a PostgreSQL from
several machines): rules a little stale are used while their reload runs
beside (a fan-out's first request does not wait for a read), rules older
than :data:`MAX_STALE_SECONDS` are waited for. The inbox asks before a
signature is even checked, so a blocked or unlisted node costs us one
lookup and gets a clear 403; the safe client asks before every fetch and
every delivery.

A reload is shared: the sixty-four sends a fan-out starts at once, finding
the rules stale, wait for one read instead of each opening a session of its
own (which, with the pool's few connections, held the first request of a
fan-out back by a quarter of a second).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from federation.errors import FederationError
from storage.beacons import Beacon
from storage.engine import SessionMaker
from storage.repos.domain_rules import DomainRules, load_rules

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0
#: Rules older than this are not used while they reload: the caller waits.
MAX_STALE_SECONDS = 10.0


class DomainRefusedError(FederationError):
    """This node does not federate with the sender's (or the URL's) domain."""

    status = 403


class FederationGate:
    def __init__(
        self,
        sessions: SessionMaker,
        clock: Callable[[], float] = time.monotonic,
        *,
        changes: Beacon | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        #: The ``rules`` beacon, and its newest stamp this gate has acted on.
        self._changes = changes
        self._change_seen = changes.last() if changes is not None else 0.0
        self._rules = DomainRules()
        self._loaded_at = float("-inf")
        self._loading: asyncio.Future[None] | None = None
        #: Bumped by :meth:`invalidate`: a read begun before it is not fresh after it.
        self._generation = 0

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
        self._generation += 1

    async def rules(self) -> DomainRules:
        if self._changes is not None and (stamp := self._changes.last()) > self._change_seen:
            self._change_seen = stamp
            self.invalidate()  # changed and committed elsewhere: wait for the reload
        while (age := self._clock() - self._loaded_at) > REFRESH_SECONDS:
            if self._loading is None:
                self._loading = asyncio.ensure_future(self._load())
                self._loading.add_done_callback(_log_failure)
            if age <= MAX_STALE_SECONDS:
                break  # a little stale: used while the reload runs
            # Shielded: a caller that gives up must not cancel the read for the rest.
            await asyncio.shield(self._loading)
        return self._rules

    async def _load(self) -> None:
        generation = self._generation
        try:
            async with self._sessions() as session:
                self._rules = await load_rules(session)
            if generation == self._generation:
                self._loaded_at = self._clock()
        finally:
            self._loading = None

    async def refusal(self, url_or_host: str) -> str | None:
        host = urlsplit(url_or_host).netloc if "://" in url_or_host else url_or_host
        return (await self.rules()).refusal(host)

    async def check(self, url_or_host: str) -> None:
        reason = await self.refusal(url_or_host)
        if reason is not None:
            raise DomainRefusedError(reason)


def _log_failure(load: asyncio.Future[None]) -> None:
    """A reload nobody waited for failed: say so (the next caller tries again)."""
    if not load.cancelled() and (error := load.exception()) is not None:
        log.warning("reloading the federation rules failed: %s", error)
