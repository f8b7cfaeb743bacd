"""Remove from an actor's ``featured`` collection (an unpin); only their own collection."""

from __future__ import annotations

from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from inbox.handlers.add import own_featured_target
from storage.models import Featured, InboxItem


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    found = await own_featured_target(session, node, item)
    if found is None:
        return
    actor, pinned = found
    await session.exec(
        delete(Featured).where(
            col(Featured.actor_id) == actor.id, col(Featured.object_ap_id) == pinned
        )
    )
