"""Reject of a Follow: a request refused, or a follower removed (Mastodon sends Reject for both)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import receive_answer
from inbox.handlers.accept import answered_follow
from inbox.handlers.common import sender
from storage.models import InboxItem


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    answerer = await sender(session, node, item)
    follow = await answered_follow(session, item, answerer)
    if follow is not None:
        await receive_answer(session, follow, accepted=False)
