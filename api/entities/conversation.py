"""The Mastodon ``Conversation`` entity: ``{id, unread, accounts, last_status}``.

``accounts`` are the other participants (never the viewer), ``last_status``
the newest direct post of the thread the viewer may read.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.account import account_entities
from api.entities.status import status_entity
from content.conversations import Conversation
from storage.models import Actor


async def conversation_entity(
    session: AsyncSession, node: NodeContext, conversation: Conversation, viewer: Actor
) -> dict[str, Any]:
    return {
        "id": str(conversation.id),
        "unread": conversation.unread,
        "accounts": await account_entities(session, node, conversation.participants),
        "last_status": await status_entity(session, node, conversation.last, viewer),
    }
