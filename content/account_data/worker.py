"""The worker that runs account data jobs (exports, imports, erasures), one at a time.

Each worker process claims one due job (:func:`content.account_data.jobs.claim`),
runs it to the end, and looks again; with nothing to do it looks every
:data:`POLL_SECONDS`. A job that raises is put back with a backoff and, after
:data:`~content.account_data.jobs.MAX_ATTEMPTS`, marked ``failed`` with the
error its owner sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from actors.context import NodeContext
from content.account_data import archive, erasure, imports, jobs
from storage.models import AccountJob, JobKind

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
RUNNERS: dict[str, Callable[[NodeContext, int], Coroutine[Any, Any, None]]] = {
    JobKind.EXPORT: archive.run,
    JobKind.IMPORT: imports.run,
    JobKind.ERASE: erasure.run,
}


async def run_once(node: NodeContext) -> int | None:
    """Claim and run one due job; its id, or None when none was due."""
    async with node.sessions() as session:
        job = await jobs.claim(session)
        await session.commit()
        if job is None:
            return None
        assert job.id is not None
        job_id, kind = job.id, job.kind
    try:
        await RUNNERS[kind](node, job_id)
    except Exception as exc:
        log.exception("account job %s (%s) failed", job_id, kind)
        async with node.sessions() as session:
            row = await session.get(AccountJob, job_id)
            if row is not None:
                jobs.finish(row, error=f"{type(exc).__name__}: {exc}")
                await session.commit()
    return job_id


async def run_until_idle(node: NodeContext) -> int:
    """Run due jobs until none is left (the CLI and the tests); how many ran."""
    count = 0
    while await run_once(node) is not None:
        count += 1
    return count


async def run_forever(node: NodeContext, stop: asyncio.Event) -> None:
    while not stop.is_set():
        ran = None
        try:
            ran = await run_once(node)
        except Exception:
            log.exception("the account jobs worker failed")
        if ran is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
