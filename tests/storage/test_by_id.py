"""``by_id.get`` answers as ``session.get`` does, without a query for a loaded row."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import SessionMaker
from storage.models import Actor
from storage.repos import by_id
from tests.support.statements import statements_of


async def _anna(session: AsyncSession) -> Actor:
    """Anna, stored and committed; still loaded in ``session``."""
    anna = Actor(
        ap_id="https://school.example/users/anna", username="anna",
        domain="school.example", inbox_url="https://school.example/users/anna/inbox",
        display_name="Anna",
    )  # fmt: skip
    session.add(anna)
    await session.commit()
    return anna


async def test_a_loaded_row_comes_from_the_identity_map(sessions: SessionMaker) -> None:
    async with sessions() as session:
        anna = await _anna(session)
        with statements_of(sessions.kw["bind"].sync_engine) as statements:
            assert await by_id.get(session, Actor, anna.id) is anna
        assert statements == []


async def test_other_rows_are_read_and_missing_ones_are_none(sessions: SessionMaker) -> None:
    async with sessions() as session:
        anna = await _anna(session)
        anna_id = anna.id
    async with sessions() as session:
        found = await by_id.get(session, Actor, anna_id)
        assert found is not None and found.username == "anna"
        assert await by_id.get(session, Actor, 12345) is None


async def test_an_expired_row_is_read_again(sessions: SessionMaker) -> None:
    async with sessions() as session:
        anna = await _anna(session)
        anna_id = anna.id
        await session.exec(
            update(Actor).where(col(Actor.id) == anna_id).values(display_name="Anna K.")
        )
        session.expire(anna)
        found = await by_id.get(session, Actor, anna_id)
        assert found is anna and found.display_name == "Anna K."


async def test_a_deleted_row_is_none(sessions: SessionMaker) -> None:
    async with sessions() as session:
        anna = await _anna(session)
        await session.delete(anna)
        await session.flush()
        assert await by_id.get(session, Actor, anna.id) is None
