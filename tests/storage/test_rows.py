"""``new_row`` makes the row the constructor would, and the database and the ORM treat it so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from storage.engine import SessionMaker
from storage.ids import new_id
from storage.models import ContentObject
from storage.models.streams import StreamEvent
from storage.rows import new_row
from tests.support.outbox import make_remote

PUBLISHED = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _note(author_id: int, **more: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "ap_id": f"https://school.example/notes/{new_id()}",
        "author_id": author_id,
        "content": "<p>Fractions with paper strips</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "tags": [{"type": "Hashtag", "name": "#maths", "href": "https://school.example/t/maths"}],
        "published": PUBLISHED,
        **more,
    }


def _fields(row: ContentObject) -> dict[str, Any]:
    return {k: v for k, v in row.__dict__.items() if k != "_sa_instance_state"}


def test_a_new_row_holds_what_the_constructor_gives() -> None:
    values = _note(7, sensitive=True, extra={"grade": 5})
    built, constructed = new_row(ContentObject, dict(values)), ContentObject(**values)
    assert _fields(built) == _fields(constructed)
    assert built.model_dump() == constructed.model_dump()
    assert built.model_fields_set == constructed.model_fields_set == set(values)
    assert built.visibility == "public" and built.replies_count == 0 and built.cc == []


def test_each_row_gets_its_own_defaults_from_the_factories() -> None:
    first, second = (new_row(ContentObject, {"ap_id": f"x{i}", "author_id": 1}) for i in (1, 2))
    assert first.cc == second.cc == [] and first.cc is not second.cc
    assert first.extra is not second.extra
    assert first.published.tzinfo is not None


def test_an_unknown_field_is_refused_not_dropped() -> None:
    with pytest.raises(TypeError, match="contnet"):
        new_row(ContentObject, {"ap_id": "x", "author_id": 1, "contnet": "typo"})


async def test_a_new_row_is_inserted_and_later_changes_are_tracked(
    sessions: SessionMaker,
) -> None:
    async with sessions() as session:
        author = await make_remote(session, "https://school.example/users/anna")
        await session.flush()
        assert author.id is not None
        row = new_row(ContentObject, _note(author.id))
        session.add(row)
        await session.commit()
        # Changed after its insert: an UPDATE, as with any loaded row.
        row.content = "<p>Fractions with paper strips, and a worksheet</p>"
        session.add(row)
        await session.commit()
        row_id, author_id = row.id, author.id

    async with sessions() as session:
        stored = await session.get(ContentObject, row_id)
        assert stored is not None
        assert stored.content == "<p>Fractions with paper strips, and a worksheet</p>"
        assert stored.tags[0]["name"] == "#maths"
        assert stored.published == PUBLISHED
        assert stored.cc == [] and stored.extra == {} and stored.likes_count == 0
        # The flush saw it as new: its stream event was written with it.
        events = (await session.exec(select(StreamEvent))).all()
        assert [(e.event, e.object_id, e.actor_id) for e in events] == [
            ("update", row_id, author_id)
        ]
