"""The loop of a worker driven by rows: a pass, and a pause when there was nothing to do.

The events' and the materials' workers keep nothing in memory: each pass
reads the rows that are due and does them. A pass that did something is
followed at once by the next (a backlog drains at full speed); one that did
nothing, or failed (logged, and the loop goes on), by a pause of ``pause``
seconds, cut short when the node stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_passes(
    stop: asyncio.Event, one_pass: Callable[[], Awaitable[int]], pause: float, what: str
) -> None:
    """Call ``one_pass`` (returning how much it did) until ``stop`` is set."""
    while not stop.is_set():
        try:
            done = await one_pass()
        except Exception:
            log.exception("%s iteration failed", what)
            done = 0
        if done == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
