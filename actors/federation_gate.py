"""The node's federation policy, held in memory for the hot paths (inbox, fetches, deliveries).

:class:`FederationGate` keeps the latest :class:`storage.repos.domain_rules.DomainRules`
and reloads it at most every :data:`REFRESH_SECONDS` (a change made by the
admin API in this process is seen at once: :meth:`FederationGate.invalidate`;
a change from the CLI or another process within that time). The inbox asks
before a signature is even checked, so a blocked or unlisted node costs us
one lookup and gets a clear 403; the safe client asks before every fetch and
every delivery.

A reload is shared: the sixty-four sends a fan-out starts at once, finding
the rules stale, wait for one read instead of each opening a session of its
own (which, with the pool's few connections, held the first request of a
fan-out back by a quarter of a second).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

from federation.errors import FederationError
from storage.engine import SessionMaker
from storage.repos.domain_rules import DomainRules, load_rules

REFRESH_SECONDS = 2.0


class DomainRefusedError(FederationError):
    """This node does not federate with the sender's (or the URL's) domain."""

    status = 403


class FederationGate:
    def __init__(self, sessions: SessionMaker) -> None:
        self._sessions = sessions
        self._rules = DomainRules()
        self._loaded_at = float("-inf")
        self._loading: asyncio.Future[None] | None = None
        #: Bumped by :meth:`invalidate`: a read begun before it is not fresh after it.
        self._generation = 0

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
        self._generation += 1

    async def rules(self) -> DomainRules:
        while time.monotonic() - self._loaded_at > REFRESH_SECONDS:
            if self._loading is None:
                self._loading = asyncio.ensure_future(self._load())
            # Shielded: a caller that gives up must not cancel the read for the rest.
            await asyncio.shield(self._loading)
        return self._rules

    async def _load(self) -> None:
        generation = self._generation
        try:
            async with self._sessions() as session:
                self._rules = await load_rules(session)
            if generation == self._generation:
                self._loaded_at = time.monotonic()
        finally:
            self._loading = None

    async def refusal(self, url_or_host: str) -> str | None:
        host = urlsplit(url_or_host).netloc if "://" in url_or_host else url_or_host
        return (await self.rules()).refusal(host)

    async def check(self, url_or_host: str) -> None:
        reason = await self.refusal(url_or_host)
        if reason is not None:
            raise DomainRefusedError(reason)
