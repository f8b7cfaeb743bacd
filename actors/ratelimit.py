"""Per-client rate limits: a token bucket per key (a client IP, a token's hash).

A running node keeps its buckets where every one of its processes sees them
(:mod:`storage.rate_buckets`, a table in a file they all map), so
``serve --processes N`` does not multiply each limit by N: :func:`bucket_for`
hands out buckets on that table. A :class:`TokenBucket` without a shared
table keeps its levels in memory (unit tests, tools); buckets that have
refilled are dropped when that table grows, so memory stays bounded however
many addresses knock.

Answers carry Mastodon's headers (``X-RateLimit-Limit``, ``-Remaining``,
``-Reset`` as an ISO 8601 time) so clients such as Mastodon.py pace
themselves, and a refusal also carries ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.rate_buckets import SharedBuckets, shared_buckets

#: The window the node's configured limits are counted over (Mastodon's too).
FIVE_MINUTES = 300.0


@dataclass(frozen=True)
class Rate:
    limit: int  # requests allowed in a burst ...
    period: float  # ... refilled evenly over this many seconds


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # Unix time at which the bucket is full again
    retry_after: float  # seconds until the next request would be allowed

    def headers(self) -> dict[str, str]:
        reset = datetime.fromtimestamp(self.reset_at, UTC)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


class TokenBucket:
    """``rate`` per key; levels in ``shared`` (every process of the node) or in memory.

    ``name`` keeps buckets of different limits apart in a shared table.
    """

    def __init__(
        self,
        rate: Rate,
        *,
        clock: Callable[[], float] = time.time,
        max_keys: int = 10_000,
        shared: SharedBuckets | None = None,
        name: str = "",
    ) -> None:
        if rate.limit < 1 or rate.period <= 0:
            raise ValueError("a rate needs a positive limit and period")
        self.rate = rate
        self._clock = clock
        self._max_keys = max_keys
        self._per_second = rate.limit / rate.period
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)
        self._shared = shared
        self._name = name

    def _level(self, key: str, now: float) -> float:
        tokens, updated = self._buckets.get(key, (float(self.rate.limit), now))
        return min(float(self.rate.limit), tokens + (now - updated) * self._per_second)

    def hit(self, key: str) -> Decision:
        """Take one token for ``key`` if there is one; say what happened."""
        now = self._clock()
        if self._shared is not None:
            allowed, tokens = self._shared.take(
                f"{self._name}\0{key}", float(self.rate.limit), self._per_second, now
            )
        else:
            tokens = self._level(key, now)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self._max_keys:
                self._prune(now)
        missing = self.rate.limit - tokens
        return Decision(
            allowed=allowed,
            limit=self.rate.limit,
            remaining=int(tokens),
            reset_at=now + missing / self._per_second,
            retry_after=0.0 if allowed else (1.0 - tokens) / self._per_second,
        )

    def _prune(self, now: float) -> None:
        full = [key for key in self._buckets if self._level(key, now) >= self.rate.limit]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) > self._max_keys:  # all busy: forget the least recent
            by_age = sorted(self._buckets, key=lambda key: self._buckets[key][1])
            for key in by_age[: len(self._buckets) - self._max_keys]:
                del self._buckets[key]


def bucket_for(holder: Any, name: str, rate: Rate) -> TokenBucket:
    """The bucket called ``name`` for the app whose ``state`` is ``holder``, made on first use.

    Its levels live in the node's shared table (under ``NodeConfig.data_dir``),
    so all the node's processes count together.
    """
    buckets: dict[str, TokenBucket] | None = getattr(holder, "rate_limit_buckets", None)
    if buckets is None:
        buckets = {}
        holder.rate_limit_buckets = buckets
    bucket = buckets.get(name)
    if bucket is None or bucket.rate != rate:
        data_dir: Path = holder.node.config.data_dir
        bucket = buckets[name] = TokenBucket(rate, shared=shared_buckets(data_dir), name=name)
    return bucket
