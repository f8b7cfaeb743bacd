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

from actors.context import NodeContext
from content import poll_states
from content.events import counts, reminders
from content.row_loop import run_passes
from storage.types import utcnow

POLL_SECONDS = 1.0


async def run_once(node: NodeContext) -> int:
    now = utcnow()
    done = await counts.publish_due(node, now)
    done += await reminders.send_due(node, now)
    done += await poll_states.publish_due(node, now)
    done += await poll_states.close_due(node, now)
    return done


async def run_forever(node: NodeContext, stop: asyncio.Event) -> None:
    await run_passes(stop, lambda: run_once(node), POLL_SECONDS, "events worker")
