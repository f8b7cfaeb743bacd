"""Counts recounted by two open transactions at once come out whole (both databases).

Two boosts of one post, or two replies to it, each recount in their own
transaction, the second while the first is still open (two inbox lanes,
two worker processes, a local boost beside a received one). On PostgreSQL
the second recount's count used to come from the snapshot its statement
began with, before the first committed: the post showed one boost, or one
reply, where it had two.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from actors.context import NodeContext
from content import interactions
from content.posts import create_post
from storage.models import Actor, ContentObject
from tests.support.inprocess import in_process_node, person

# How long the second transaction is given to show whether it waits for the first.
OVERLAP = 0.5


@pytest.fixture
async def node(migrated_database_url: str, tmp_path: Path) -> AsyncIterator[NodeContext]:
    async with in_process_node(migrated_database_url, tmp_path / "data") as context:
        yield context


async def _post_by(node: NodeContext, author: Actor) -> ContentObject:
    async with node.sessions() as session:
        post = await create_post(
            session, node, author, content_text_or_html="Fractions, week 3", visibility="public"
        )
        await session.commit()
        return post


async def _overlapping(node: NodeContext, change: Callable[[Any, Actor], Awaitable[Any]]) -> None:
    """``change`` by two people, the second begun while the first is still uncommitted."""
    bob, carol = [await person(node, name) for name in ("bob", "carol")]

    async def second() -> None:
        async with node.sessions() as session:
            await change(session, carol)
            await session.commit()

    async with node.sessions() as session:
        await change(session, bob)
        late = asyncio.ensure_future(second())
        await asyncio.wait({late}, timeout=OVERLAP)
        await session.commit()
    await late


async def _counts(node: NodeContext, post_id: int) -> ContentObject:
    async with node.sessions() as session:
        found = await session.get(ContentObject, post_id)
        assert found is not None
        return found


async def test_two_boosts_recounted_at_once_are_both_counted(node: NodeContext) -> None:
    alice = await person(node, "alice")
    post = await _post_by(node, alice)
    assert post.id is not None

    async def boost(session: Any, who: Actor) -> None:
        target = await session.get(ContentObject, post.id)
        await interactions.announce(session, node, who, target)

    await _overlapping(node, boost)
    assert (await _counts(node, post.id)).announces_count == 2


async def test_two_replies_recounted_at_once_are_both_counted(node: NodeContext) -> None:
    alice = await person(node, "alice")
    post = await _post_by(node, alice)
    assert post.id is not None

    async def reply(session: Any, who: Actor) -> None:
        await create_post(
            session,
            node,
            who,
            content_text_or_html=f"{who.username} tried it too",
            visibility="public",
            in_reply_to=post.ap_id,
        )

    await _overlapping(node, reply)
    assert (await _counts(node, post.id)).replies_count == 2
