"""When to try a delivery again, and what an answer means: small pure functions.

No clock and no randomness of their own: the caller passes ``now`` and an
``rng``, so every rule here is tested with a table and no waiting.

The schedule follows the shape of Mastodon's (Sidekiq's 16 retries, so 17
attempts over two to three days) with plain exponential growth: 30 s, 1 min,
2 min ... capped at 12 h, each delay jittered by ±25 % so that rows failed
together by one outage do not all come back in the same second. Seventeen
attempts then span about 3.2 days (between 2.4 and 4 with the jitter).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

from federation.errors import UnsafeURLError


class Outcome(StrEnum):
    """What to do with a delivery row after one attempt."""

    SENT = "sent"
    RETRY = "retry"
    #: A 4xx that retrying cannot fix (or a URL we refuse to contact).
    FAILED = "failed"
    #: 410: the recipient is gone; the worker decides whether that means an actor.
    GONE = "gone"


@dataclass(frozen=True)
class RetryPolicy:
    """The retry schedule; tests pass one with tiny delays."""

    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=12)
    #: Attempts in all, the first one included (Mastodon: 1 + 16 retries).
    max_attempts: int = 17
    #: Each delay is multiplied by a uniform factor in [1 - jitter, 1 + jitter].
    jitter: float = 0.25
    #: The longest ``Retry-After`` we honour; a larger one is cut to this.
    max_retry_after: timedelta = timedelta(hours=12)

    def exhausted(self, attempts: int) -> bool:
        """True once ``attempts`` tries have been made and no more are allowed."""
        return attempts >= self.max_attempts


DEFAULT_POLICY = RetryPolicy()


def next_delay(
    attempts: int, rng: random.Random, policy: RetryPolicy = DEFAULT_POLICY
) -> timedelta:
    """The wait before the next try, after ``attempts`` failed tries (``attempts`` ≥ 1)."""
    exponent = max(0, attempts - 1)
    cap = policy.cap.total_seconds()
    base = policy.base.total_seconds()
    # Past the cap anyway; and factor ** 2000 would overflow a float.
    raw = cap if exponent > 64 else min(cap, base * policy.factor**exponent)
    spread = rng.uniform(1.0 - policy.jitter, 1.0 + policy.jitter)
    return timedelta(seconds=raw * spread)


def total_schedule(policy: RetryPolicy = DEFAULT_POLICY) -> timedelta:
    """The un-jittered time from the first to the last attempt (for docs and tests)."""
    cap, base = policy.cap.total_seconds(), policy.base.total_seconds()
    steps = range(policy.max_attempts - 1)
    total = sum(min(cap, base * policy.factor ** min(e, 64)) for e in steps)
    return timedelta(seconds=total)


# Mastodon's rule (ActivityPub::DeliveryWorker): a 4xx is the recipient's final
# word except these three, which say "not now" (auth glitch, timeout, throttled).
_RETRYABLE_4XX = frozenset({401, 408, 429})


def classify(status: int | None, error: BaseException | None = None) -> Outcome:
    """Map one attempt's HTTP status (None: no answer) or error to an :class:`Outcome`.

    * 2xx: sent.
    * 410: gone (an actor's personal inbox: the actor was deleted).
    * other 4xx except 401/408/429: failed for good; so is 501 (the server
      will never implement inbox POST).
    * 3xx (a POST redirect we do not follow), 5xx, 401/408/429, network errors:
      retry.
    * a URL the SSRF guard refuses: failed, no retry can change our policy.
    """
    if status is None:
        if isinstance(error, UnsafeURLError):
            return Outcome.FAILED
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.SENT
    if status == 410:
        return Outcome.GONE
    if 400 <= status < 500 and status not in _RETRYABLE_4XX:
        return Outcome.FAILED
    if status == 501:
        return Outcome.FAILED
    return Outcome.RETRY


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Parse ``Retry-After`` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

    Returns None for a missing or unreadable value (the caller falls back to
    its own schedule), ``timedelta(0)`` for a date already past.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" means UTC per RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - now)
