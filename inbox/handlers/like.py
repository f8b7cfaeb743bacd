"""Like: counted on the liked object (ours, or a remote one we store).

A Like of an object we do not hold, of a tombstone, or of a post its sender
may not read (followers-only, direct) changes nothing. Misskey's emoji
reactions arrive as Likes with ``_misskey_reaction`` and count the same.
The liked post's author, if ours, gets a ``favourite`` notification; a
local colleague's Like (:func:`local`) was stored by the action itself, so
only the notification is left to make.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.interactions import like_by_activity, receive_like
from content.notifications import FAVOURITE, notify_interaction
from content.objects import author_of, object_by_ap_id
from content.visibility import may_read
from inbox.handlers.common import object_id, sender
from storage.models import ContentObject, InboxItem


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    obj = await object_by_ap_id(session, object_id(item) or "")
    if obj is None or obj.deleted_at is not None:
        return
    liker = await sender(session, node, item)
    author = await author_of(session, obj)
    if author is None or not await may_read(session, obj, author, liker):
        return
    await receive_like(session, liker, obj, item.activity_id)
    await notify_interaction(session, FAVOURITE, liker, obj)


async def local(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    """Our own actor's Like: :func:`content.interactions.like` stored it; only notify."""
    row = await like_by_activity(session, item.activity_id)
    obj = await session.get(ContentObject, row.object_id) if row is not None else None
    if obj is not None:
        await notify_interaction(session, FAVOURITE, await sender(session, node, item), obj)
