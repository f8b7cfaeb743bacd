"""Follow: a request to follow one of our actors.

Accepted at once, or kept pending when the actor approves followers by hand
(``manually_approves_followers``), or rejected when the actor blocks the
follower; the answer is published by :func:`actors.graph.receive_follow`. A
Follow of anyone who is not ours (or not known) is none of our business.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import receive_follow
from inbox.handlers.common import local_actor, object_id, sender
from storage.models import InboxItem


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    target = await local_actor(session, object_id(item))
    if target is None:
        return
    follower = await sender(session, node, item)
    if follower.id == target.id:
        return
    await receive_follow(session, node, follower, target, item.activity_id)
