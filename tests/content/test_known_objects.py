"""``remember_objects``: a batch's lookups answered from memory, and never wrongly.

The inbox worker remembers the objects a batch names, then looks each one up
many times while it defers its flushes. Every answer must be the one a query
would give at that moment: a row added and not yet flushed is found, a row
whose savepoint was rolled back is not.
"""

from __future__ import annotations

from typing import Any

from content.known_objects import forget_objects, remember_objects
from content.objects import object_by_ap_id
from storage.engine import SessionMaker
from storage.models import ContentObject
from tests.support.outbox import make_remote
from tests.support.statements import statements_of

NOTE = "https://school.example/notes/1"


async def _author(session: Any) -> int:
    author = await make_remote(session, "https://school.example/users/anna")
    await session.flush()
    assert author.id is not None
    return author.id


async def test_an_added_object_is_found_without_a_query_and_forgotten_with_its_savepoint(
    sessions: SessionMaker,
) -> None:
    async with sessions() as session:
        author_id = await _author(session)
        await remember_objects(session, [NOTE])
        assert await object_by_ap_id(session, NOTE) is None

        savepoint = await session.begin_nested()
        note = ContentObject(ap_id=NOTE, author_id=author_id, content="<p>Paper strips</p>")
        session.add(note)
        with statements_of(sessions.kw["bind"].sync_engine) as statements:
            assert await object_by_ap_id(session, NOTE) is note  # pending, not flushed
            assert statements == []
            await session.flush()
            assert await object_by_ap_id(session, NOTE) is note  # flushed, still this object
        assert statements and not any(s.lstrip().startswith("SELECT") for s in statements)

        await savepoint.rollback()
        assert await object_by_ap_id(session, NOTE) is None  # asked again: gone
        forget_objects(session)


async def test_an_added_object_rolled_back_before_its_flush_is_not_found(
    sessions: SessionMaker,
) -> None:
    async with sessions() as session:
        author_id = await _author(session)
        await remember_objects(session, [NOTE])
        savepoint = await session.begin_nested()
        session.add(ContentObject(ap_id=NOTE, author_id=author_id))
        await savepoint.rollback()
        assert await object_by_ap_id(session, NOTE) is None
        forget_objects(session)
