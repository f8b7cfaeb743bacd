"""The worker that removes uploads no post attached in time (and their files).

Apps upload media before the post is written; a post that is never sent
leaves its uploads behind, invisible to everyone but their uploader, on disk
for good. Like Mastodon (which removes them after a day), each worker
process sweeps them away once they are older than
``STAFFROOM_UNATTACHED_MEDIA_SECONDS``. Several workers may sweep at once:
each row is deleted, and its files unlinked, by exactly one of them
(:func:`content.media.remove_unattached`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from actors.context import NodeContext
from content.media import remove_unattached
from storage.types import utcnow

log = logging.getLogger(__name__)

#: The longest pause between sweeps (a shorter time to live sweeps more often).
MAX_INTERVAL = 3600.0


def sweep_interval(ttl: timedelta) -> float:
    """Sweep four times per time to live, at most hourly, at least every second."""
    return max(1.0, min(MAX_INTERVAL, ttl.total_seconds() / 4))


async def sweep_once(node: NodeContext, ttl: timedelta) -> int:
    async with node.sessions() as session:
        removed = await remove_unattached(session, node.config, utcnow() - ttl)
        await session.commit()
    if removed:
        log.info("removed %d uploads no post attached within %s", removed, ttl)
    return removed


async def run_forever(node: NodeContext, stop: asyncio.Event, ttl: timedelta) -> None:
    interval = sweep_interval(ttl)
    while not stop.is_set():
        try:
            await sweep_once(node, ttl)
        except Exception:
            log.exception("sweeping unattached uploads failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
