"""Per-client rate limits: an in-memory token bucket per key (a client IP).

Deliberately in-memory: correct for one ``staffroom serve`` process, which is
what a school runs. With N processes behind a proxy each keeps its own
buckets, so the effective limit is N times the configured one; a shared store
can replace :class:`TokenBucket` behind the same ``hit`` call when that
matters. Buckets that have refilled are dropped when the table grows, so
memory stays bounded however many addresses knock.

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
from typing import Any

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
    def __init__(
        self, rate: Rate, *, clock: Callable[[], float] = time.time, max_keys: int = 10_000
    ) -> None:
        if rate.limit < 1 or rate.period <= 0:
            raise ValueError("a rate needs a positive limit and period")
        self.rate = rate
        self._clock = clock
        self._max_keys = max_keys
        self._per_second = rate.limit / rate.period
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)

    def _level(self, key: str, now: float) -> float:
        tokens, updated = self._buckets.get(key, (float(self.rate.limit), now))
        return min(float(self.rate.limit), tokens + (now - updated) * self._per_second)

    def hit(self, key: str) -> Decision:
        """Take one token for ``key`` if there is one; say what happened."""
        now = self._clock()
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
    """The bucket called ``name`` kept on ``holder`` (an app's ``state``), made on first use."""
    buckets: dict[str, TokenBucket] | None = getattr(holder, "rate_limit_buckets", None)
    if buckets is None:
        buckets = {}
        holder.rate_limit_buckets = buckets
    bucket = buckets.get(name)
    if bucket is None or bucket.rate != rate:
        bucket = buckets[name] = TokenBucket(rate)
    return bucket
