"""storage.dialects: row locks where writers run side by side, nothing where they take turns."""

from __future__ import annotations

from sqlmodel import col, select

from storage.dialects import insert_for, is_postgres, locked
from storage.engine import SessionMaker
from storage.models import InboxItem
from storage.repos.inbox import insert_once
from tests.support.inbox_items import item_values


async def test_a_row_locked_by_one_transaction_is_skipped_by_anothers_claim(
    sessions: SessionMaker, db_kind: str
) -> None:
    async with sessions() as session:
        for i in range(2):
            await insert_once(session, item_values(i))
        await session.commit()
    first_id = select(InboxItem.id).order_by(col(InboxItem.id)).limit(1)
    everything = select(InboxItem.id)
    async with sessions() as holder, sessions() as claimer:
        held = (await holder.exec(locked(holder, first_id))).one()
        free = (await claimer.exec(locked(claimer, everything, skip_locked=True))).all()
        assert is_postgres(holder) == (db_kind == "postgres")
        if db_kind == "postgres":
            assert held not in free and len(free) == 1
        else:
            # SQLite's one writer makes the lock needless: the query is left as it was.
            assert len(free) == 2
            assert locked(holder, everything) is everything


def test_insert_for_names_each_dialects_on_conflict_construct() -> None:
    for name in ("postgresql", "sqlite"):
        statement = insert_for(name)(InboxItem).on_conflict_do_nothing()
        assert statement.dialect_options is not None
        assert type(statement).__module__.startswith(f"sqlalchemy.dialects.{name}")
