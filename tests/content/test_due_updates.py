"""The shared steps of the debounced Updates (ratings, participant counts), over both backends.

:func:`content.due_updates.due_rows` reads only what is due and ours, oldest
first; :func:`content.due_updates.claim` lets one worker take a row once,
and none take it when its due time moved after it was read.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col

from content.due_updates import claim, due_rows
from storage.engine import SessionMaker
from storage.ids import new_id
from storage.models import Actor, ContentObject, Material
from storage.types import utcnow


async def _materials(sessions: SessionMaker) -> list[Material]:
    now = utcnow()
    author = Actor(
        id=new_id(),
        ap_id="https://school.example/users/olga",
        username="olga",
        domain="school.example",
        local=True,
        inbox_url="https://school.example/users/olga/inbox",
    )
    made = []
    async with sessions() as session:
        session.add(author)
        await session.flush()
        # due 3 minutes ago, 1 minute ago, in a minute; a remote one due long ago; none due
        for n, (minutes, local) in enumerate([(-1, True), (-3, True), (1, True), (-9, False)]):
            assert author.id is not None
            obj = ContentObject(
                id=new_id(), ap_id=f"{author.ap_id}/m/{n}", author_id=author.id, local=local
            )
            session.add(obj)
            await session.flush()
            assert obj.id is not None
            row = Material(
                object_id=obj.id,
                author_id=author.id,
                local=local,
                domain="school.example",
                visibility="public",
                title=f"m{n}",
                material_type="other",
                license="cc-by-4.0",
                rating_update_due_at=now + timedelta(minutes=minutes),
            )
            session.add(row)
            made.append(row)
        await session.commit()
    return made


async def test_due_rows_and_one_claim(sessions: SessionMaker) -> None:
    made = await _materials(sessions)
    query = due_rows(
        Material.object_id, Material.rating_update_due_at, utcnow(), col(Material.local), limit=10
    )
    async with sessions() as session:
        due = list((await session.exec(query)).all())
    assert [row_id for row_id, _at in due] == [made[1].object_id, made[0].object_id]
    (first_id, first_at), (second_id, second_at) = due
    async with sessions() as session:
        key, column = Material.object_id, Material.rating_update_due_at
        assert await claim(session, key, column, first_id, first_at)
        assert not await claim(session, key, column, first_id, first_at)  # taken already
        moved = second_at + timedelta(seconds=1)
        assert not await claim(session, key, column, second_id, moved)  # not the time read
        await session.commit()
    async with sessions() as session:
        first = await session.get(Material, first_id)
        second = await session.get(Material, second_id)
        assert first is not None and first.rating_update_due_at is None
        assert second is not None and second.rating_update_due_at == second_at
