"""Insert-if-absent that survives a concurrent insert of the same row.

Two workers (or two processes) can learn of the same remote actor, or both
create the instance actor on a fresh database, at the same moment; a plain
INSERT would fail the second with a unique violation. ``ON CONFLICT DO
NOTHING`` lets the loser carry on and read the winner's row.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import session_insert


async def insert_if_absent(session: AsyncSession, row: SQLModel) -> bool:
    """Insert ``row`` unless it collides with a unique key; True if it was inserted."""
    table: Any = type(row).__table__  # type: ignore[attr-defined]
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if getattr(row, column.name) is not None
    }
    insert = session_insert(session)
    result: Any = await session.exec(insert(table).values(values).on_conflict_do_nothing())
    return bool(result.rowcount)
