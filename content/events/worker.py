"""The events' and polls' background work, driven by rows.

Owed participant-count Updates (:mod:`content.events.counts`), reminders
coming due (:mod:`content.events.reminders`), and our polls' debounced
totals and endings (:mod:`content.poll_states`). Nothing is kept in memory;
any worker process picks the rows up, and each piece is claimed by a
conditional UPDATE or a unique row, so two processes never do it twice. It
runs beside the inbox and delivery workers and looks once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from actors.context import NodeContext
from content import poll_states
from content.events import counts, reminders
from storage.types import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


async def run_once(node: NodeContext) -> int:
    now = utcnow()
    done = await counts.publish_due(node, now)
    done += await reminders.send_due(node, now)
    done += await poll_states.publish_due(node, now)
    done += await poll_states.close_due(node, now)
    return done


async def run_forever(node: NodeContext, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            done = await run_once(node)
        except Exception:
            log.exception("events worker iteration failed")
            done = 0
        if done == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
