"""What handlers share: the sender is read from the database once per item's session."""

from __future__ import annotations

from contextlib import AbstractContextManager

from actors.context import NodeContext
from inbox.handlers.common import known_actor
from tests.inbox.handlers.conftest import Harness
from tests.support.statements import selects_from


def actor_selects(node: NodeContext) -> AbstractContextManager[list[str]]:
    """The SELECTs of the actors table run meanwhile."""
    return selects_from(node.sessions.kw["bind"].sync_engine, "actors")


async def test_the_sender_is_read_once_per_session(world: Harness) -> None:
    carol = await world.known(world.remote.add_actor("carol"))
    async with world.node.sessions() as session:
        with actor_selects(world.node) as selects:
            first = await known_actor(session, carol.ap_id)
            again = await known_actor(session, carol.ap_id)
        assert first is not None and again is first
        assert len(selects) == 1


async def test_after_a_rollback_the_sender_is_read_again_not_lazily(world: Harness) -> None:
    carol = await world.known(world.remote.add_actor("carol"))
    async with world.node.sessions() as session:
        before = await known_actor(session, carol.ap_id)
        assert before is not None
        await session.rollback()  # expires every row the session holds
        with actor_selects(world.node) as selects:
            after = await known_actor(session, carol.ap_id)
        assert after is not None
        # Reading an expired row here would be lazy IO (an error in async code).
        assert after.ap_id == carol.ap_id and after.followers_url == carol.followers_url
        assert len(selects) == 1


async def test_an_unknown_actor_is_none_and_not_remembered(world: Harness) -> None:
    dave = world.remote.add_actor("dave")
    async with world.node.sessions() as session:
        assert await known_actor(session, dave.id) is None
    stored = await world.known(dave)
    async with world.node.sessions() as session:
        found = await known_actor(session, dave.id)
        assert found is not None and found.id == stored.id
