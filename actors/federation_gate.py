"""The node's federation policy, held in memory for the hot paths (inbox, fetches, deliveries).

:class:`FederationGate` keeps the latest :class:`storage.repos.domain_rules.DomainRules`
and reloads it at most every :data:`REFRESH_SECONDS` (a change made by the
admin API in this process is seen at once: :meth:`FederationGate.invalidate`;
a change from the CLI or another process within that time). The inbox asks
before a signature is even checked, so a blocked or unlisted node costs us
one lookup and gets a clear 403; the safe client asks before every fetch and
every delivery.
"""

from __future__ import annotations

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

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def rules(self) -> DomainRules:
        if time.monotonic() - self._loaded_at > REFRESH_SECONDS:
            async with self._sessions() as session:
                self._rules = await load_rules(session)
            self._loaded_at = time.monotonic()
        return self._rules

    async def refusal(self, url_or_host: str) -> str | None:
        host = urlsplit(url_or_host).netloc if "://" in url_or_host else url_or_host
        return (await self.rules()).refusal(host)

    async def check(self, url_or_host: str) -> None:
        reason = await self.refusal(url_or_host)
        if reason is not None:
            raise DomainRefusedError(reason)
