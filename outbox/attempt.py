"""One delivery attempt: sign and POST one row's activity, and judge the answer.

Kept apart from the worker loop (:mod:`outbox.delivery`) because it is the
part every row goes through and the part tests reason about: what a status
or an error means for the row (:func:`outbox.retry.classify`) and for its
host (:func:`outbox.breaker.judge`), and what a 429/503 asks of us
(``Retry-After``). Whatever happens, it returns a result and never raises:
an odd failure is a retry, not a crashed worker.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import timedelta
from typing import Protocol

from federation.auth import HttpSignatureAuth
from federation.delivery_post import Delivered
from federation.errors import FederationError
from outbox import breaker, queue, record
from outbox.retry import Outcome, classify, parse_retry_after
from storage.types import utcnow

log = logging.getLogger(__name__)

_SIGNER_CACHE = 256


class Poster(Protocol):
    """How a delivery leaves: :meth:`federation.client.SafeClient.deliver` (the
    SSRF-guarded client's lean POST on our own transport) fits."""

    async def deliver(self, url: str, body: bytes, auth: HttpSignatureAuth) -> Delivered: ...

    async def warm_gate(self) -> None: ...


class Signers:
    """Each author's key parsed once (a PEM parse costs about as much as a signature)."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, str], HttpSignatureAuth] = OrderedDict()

    def __call__(self, key_id: str, private_key_pem: str) -> HttpSignatureAuth:
        key = (key_id, private_key_pem)
        signer = self._cache.get(key)
        if signer is None:
            signer = self._cache[key] = HttpSignatureAuth(key_id, private_key_pem)
            while len(self._cache) > _SIGNER_CACHE:
                self._cache.popitem(last=False)
        return signer


async def attempt(
    client: Poster,
    job: queue.Job,
    payload: queue.Payload | None,
    signers: Signers,
) -> record.Result:
    """POST ``payload`` to ``job``'s inbox, signed as it leaves; the outcome to record."""
    status: int | None = None
    error: BaseException | None = None
    message: str | None = None
    retry_after: timedelta | None = None
    if payload is None or payload.key_id is None or payload.private_key_pem is None:
        outcome, verdict = Outcome.FAILED, breaker.Verdict.NEUTRAL
        message = "activity or its author's key is missing"
        return record.Result(job, outcome, verdict, status, message, utcnow())
    try:
        signer = signers(payload.key_id, payload.private_key_pem)
        answer = await client.deliver(job.inbox_url, payload.body, signer)
    except FederationError as exc:
        error, message = exc, exc.reason
    except Exception as exc:  # a bug or an odd failure: retry, never crash
        log.warning("delivery to %s raised", job.inbox_url, exc_info=True)
        error, message = exc, f"{type(exc).__name__}: {exc}"[:500]
    else:
        status = answer.status
        if not 200 <= status < 300:
            message = f"HTTP {status}"
        if status in (429, 503):
            retry_after = parse_retry_after(answer.retry_after, utcnow())
    outcome, verdict = classify(status, error), breaker.judge(status, error)
    return record.Result(job, outcome, verdict, status, message, utcnow(), retry_after)
