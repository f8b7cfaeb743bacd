"""The loop every debounced ``Update`` shares: read what is due, send each alone.

A rating, a participant count and a poll's totals each owe their origin's
followers an ``Update`` some seconds after the last change. Each domain marks
the row with a due time and claims it with a conditional UPDATE (so two
workers never both send); this module is the part that does not vary: one
read of the due rows, then one send per row in its own transaction, a failing
row logged and left for the next pass without stopping the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from actors.context import NodeContext

log = logging.getLogger(__name__)

SendOne = Callable[[NodeContext, int, datetime], Awaitable[bool]]


async def send_due(node: NodeContext, due_rows: Any, send_one: SendOne, what: str) -> int:
    """Run ``due_rows`` (a select of (id, due time)), then ``send_one`` for each;
    returns how many were sent."""
    async with node.sessions() as session:
        rows = await session.exec(due_rows)
        due = [(row_id, at) for row_id, at in rows.all() if at is not None]
    sent = 0
    for row_id, at in due:
        try:
            sent += await send_one(node, row_id, at)
        except Exception:
            log.exception("%s of %s failed", what, row_id)
    return sent
