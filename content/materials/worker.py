"""The materials' background work, driven by rows: owed rating Updates and pending mirrors.

Nothing is kept in memory: a material owes an Update while its
``rating_update_due_at`` is set, a file waits while its ``mirror_state`` is
``pending``; any worker process picks them up (a crash loses nothing). It
runs beside the inbox and delivery workers (``staffroom serve`` and
``staffroom worker``) and looks once a second, which is what the debounce
window is measured against.
"""

from __future__ import annotations

import asyncio

from actors.context import NodeContext
from content.materials.mirror import mirror_due
from content.materials.ratings import publish_due
from content.row_loop import run_passes
from storage.types import utcnow

POLL_SECONDS = 1.0


async def run_once(node: NodeContext) -> int:
    now = utcnow()
    return await publish_due(node, now) + await mirror_due(node, now)


async def run_forever(node: NodeContext, stop: asyncio.Event) -> None:
    await run_passes(stop, lambda: run_once(node), POLL_SECONDS, "materials worker")
