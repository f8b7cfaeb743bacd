"""Follow: a request to follow one of our actors.

Accepted at once, or kept pending when the actor approves followers by hand
(``manually_approves_followers``), or rejected when the actor blocks the
follower; the answer is published by :func:`actors.graph.receive_follow`. A
Follow of anyone who is not ours (or not known) is none of our business.

A Follow between two of our own actors arrives through our own publisher
(:func:`local`): :func:`actors.graph.follow` already wrote the row, so only
the target's answer is left, and only while the request is still pending
(it may have been withdrawn before the worker got to it).

Either way the target hears of it: ``follow`` once accepted,
``follow_request`` while it waits for them.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import approve, blocks, follow_by_activity, receive_follow, reject
from actors.minors import hidden_from_other_nodes
from content.notifications import notify_follow
from inbox.handlers.common import Refused, local_actor, object_id, sender
from storage.models import Actor, FollowState, InboxItem


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    target = await local_actor(session, object_id(item))
    if target is None:
        return
    follower = await sender(session, node, item)
    if follower.id == target.id:
        return
    if not follower.local and await hidden_from_other_nodes(session, target):
        raise Refused("students of this school cannot be followed from other nodes")
    row = await receive_follow(session, node, follower, target, item.activity_id)
    await notify_follow(session, row)


async def local(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    row = await follow_by_activity(session, item.activity_id)
    if row is None or row.state != FollowState.PENDING:
        return
    target = await session.get(Actor, row.followee_id)
    if target is None or not target.local:
        return
    if await blocks(session, target.id, row.follower_id):
        await reject(session, node, row)
    elif not target.manually_approves_followers:
        await approve(session, node, row)
    await notify_follow(session, row)
