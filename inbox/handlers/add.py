"""Add to an actor's ``featured`` collection (a pinned post).

Only the sender's own featured collection counts: a Lemmy moderator's Add to
a community's featured posts or moderators is not a pin of theirs and is
ignored. A pinned post of theirs that we lack is fetched (it is on their
origin), so the pin has something to show.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.objects import fetch_object, object_by_ap_id
from federation.origin import same_origin
from federation.vocab import id_of
from inbox.handlers.common import object_id, sender
from storage.models import Actor, Featured, InboxItem


async def own_featured_target(
    session: AsyncSession, node: NodeContext, item: InboxItem
) -> tuple[Actor, str] | None:
    """(sender, object id) when the activity's target is the sender's featured collection."""
    target = id_of(item.body.get("target"))
    pinned = object_id(item)
    actor = await sender(session, node, item)
    if target is None or pinned is None or target != actor.featured_url:
        return None
    return actor, pinned


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    found = await own_featured_target(session, node, item)
    if found is None:
        return
    actor, pinned = found
    if (
        not actor.local
        and same_origin(pinned, actor.ap_id)
        and await object_by_ap_id(session, pinned) is None
    ):
        await fetch_object(session, node, pinned, limit=1)
    present = await session.exec(
        select(Featured.id).where(Featured.actor_id == actor.id, Featured.object_ap_id == pinned)
    )
    if present.first() is None:
        assert actor.id is not None
        session.add(Featured(actor_id=actor.id, object_ap_id=pinned))
        await session.flush()
