"""Fetching a post that another transaction stores at the same moment.

A teacher searches for a colleague's post while its delivery reaches our
inbox: both the search and the inbox worker fetch-or-store the same object.
The one that stores second must take the first one's row, not answer 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, event
from sqlmodel import col

from storage.models import ContentObject
from tests.api.statuses_support import client
from tests.support.node import Node


@pytest.fixture(scope="module")
def nodes(
    module_db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Node, Node]]:
    a = Node(tmp_path_factory.mktemp("race-a"), module_db_kind)
    b = Node(tmp_path_factory.mktemp("race-b"), module_db_kind)
    for node, name in ((a, "alice"), (b, "bob")):
        node.migrate()
        node.create_user(name)
        node.start()
    yield a, b
    a.close()
    b.close()


def test_a_post_stored_meanwhile_is_taken_not_a_500(nodes: tuple[Node, Node]) -> None:
    """Another transaction stores the post between our last look and our insert.

    The first fetch records the INSERT it makes, then the post is deleted. The second
    replays that INSERT on its own connection just before it stores (before
    its savepoint, or its INSERT), exactly as a commit by the inbox worker
    would look to it: it must return that row.
    """
    from content.objects import fetch_object

    a, b = nodes
    status = client(a, "alice").status_post("Who has the key to the science lab?")
    recorded: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO objects"):
            recorded.append((statement, parameters))

    def replay(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if recorded and (statement.startswith(("SAVEPOINT", "INSERT INTO objects"))):
            cursor.execute(*recorded.pop())

    async def fetch_twice(_session: Any, ctx: Any) -> tuple[int | None, int | None]:
        engine = ctx.sessions.kw["bind"].sync_engine
        async with ctx.sessions() as session:
            event.listen(engine, "before_cursor_execute", record)
            try:
                first = await fetch_object(session, ctx, status.uri)
            finally:
                event.remove(engine, "before_cursor_execute", record)
            assert first is not None and len(recorded) == 1
            # Keep the author it stored, forget the post: as if never fetched.
            await session.exec(delete(ContentObject).where(col(ContentObject.id) == first.id))
            await session.commit()
        async with ctx.sessions() as session:
            event.listen(engine, "before_cursor_execute", replay)
            try:
                second = await fetch_object(session, ctx, status.uri)
            finally:
                event.remove(engine, "before_cursor_execute", replay)
            await session.commit()
        assert not recorded, "the other transaction's insert never ran"
        return first.id, None if second is None else second.id

    first_id, second_id = b.with_node(fetch_twice)
    assert second_id == first_id  # the row the "other transaction" stored
