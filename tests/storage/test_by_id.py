"""``by_id.get`` answers as ``session.get`` does, without a query for a loaded row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update
from sqlmodel import col

from storage.engine import SessionMaker
from storage.models import Actor
from storage.repos import by_id


def _anna() -> Actor:
    return Actor(
        ap_id="https://school.example/users/anna", username="anna",
        domain="school.example", inbox_url="https://school.example/users/anna/inbox",
        display_name="Anna",
    )  # fmt: skip


def _statements(session: Any) -> list[str]:
    seen: list[str] = []
    event.listen(session.bind.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


async def test_a_loaded_row_comes_from_the_identity_map(sessions: SessionMaker) -> None:
    async with sessions() as session:
        anna = _anna()
        session.add(anna)
        await session.commit()
        statements = _statements(session)
        assert await by_id.get(session, Actor, anna.id) is anna
        assert statements == []


async def test_other_rows_are_read_and_missing_ones_are_none(sessions: SessionMaker) -> None:
    async with sessions() as session:
        anna = _anna()
        session.add(anna)
        await session.commit()
        anna_id = anna.id
    async with sessions() as session:
        found = await by_id.get(session, Actor, anna_id)
        assert found is not None and found.username == "anna"
        assert await by_id.get(session, Actor, 12345) is None


async def test_an_expired_row_is_read_again(sessions: SessionMaker) -> None:
    async with sessions() as session:
        anna = _anna()
        session.add(anna)
        await session.commit()
        anna_id = anna.id
        await session.exec(
            update(Actor).where(col(Actor.id) == anna_id).values(display_name="Anna K.")
        )
        session.expire(anna)
        found = await by_id.get(session, Actor, anna_id)
        assert found is anna and found.display_name == "Anna K."


async def test_a_deleted_row_is_none(sessions: SessionMaker) -> None:
    async with sessions() as session:
        anna = _anna()
        session.add(anna)
        await session.commit()
        await session.delete(anna)
        await session.flush()
        assert await by_id.get(session, Actor, anna.id) is None
