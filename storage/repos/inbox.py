"""Queries on received activities."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import session_insert
from storage.ids import new_id
from storage.models import InboxItem
from storage.types import utcnow


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a received activity unless its id is already stored; True if new."""
    now = utcnow()
    row = {
        "id": new_id(),
        "state": "received",
        "attempts": 0,
        "next_attempt_at": now,
        "received_at": now,
        **values,
    }
    insert = session_insert(session)
    stmt = insert(InboxItem).values(row).on_conflict_do_nothing(index_elements=["activity_id"])
    result: Any = await session.exec(stmt)
    return bool(result.rowcount)


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(select(InboxItem.state, func.count()).group_by(InboxItem.state))
    return {state: int(n) for state, n in rows.all()}
