"""Block of one of our actors: stored (so we stop showing them to each other) and
the follows between the two removed, both ways, as Mastodon does on receipt."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import receive_block
from inbox.handlers.common import local_actor, object_id, sender
from storage.models import InboxItem


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    target = await local_actor(session, object_id(item))
    if target is None:
        return
    blocker = await sender(session, node, item)
    if blocker.id != target.id:
        await receive_block(session, blocker, target, item.activity_id)
