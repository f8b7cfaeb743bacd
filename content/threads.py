"""A post's thread as a viewer may see it: its ancestors and its descendants.

What ``GET /api/v1/statuses/:id/context`` shows. Only posts the viewer may
read are returned (:class:`content.timelines.Keeper`), so a followers-only
reply never shows in a stranger's thread; but the walk goes *through* posts it
hides (and tombstones), so a public reply under a hidden one still appears,
as in Mastodon. Only what this node has stored is walked: a remote thread is
as complete as what reached us.

Descendants come depth-first (each reply followed by its own replies, oldest
first), the order apps draw a thread in. Both walks are bounded.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.objects import object_by_ap_id
from content.timelines import Keeper
from storage.models import Actor, ContentObject

MAX_ANCESTORS = 40
MAX_DESCENDANTS = 200
MAX_DEPTH = 30


async def ancestors(
    session: AsyncSession, obj: ContentObject, viewer: Actor | None
) -> list[ContentObject]:
    """The posts ``obj`` replies to, the thread's start first."""
    chain: list[ContentObject] = []
    seen = {obj.ap_id}
    parent_id = obj.in_reply_to
    while parent_id and parent_id not in seen and len(seen) <= MAX_ANCESTORS:
        seen.add(parent_id)
        parent = await object_by_ap_id(session, parent_id)
        if parent is None:
            break
        chain.append(parent)
        parent_id = parent.in_reply_to
    # The walk goes through every parent; what the viewer may read is asked
    # for the whole chain at once (one "is the author suspended?" for all).
    keep = Keeper(session, viewer, set())
    await keep.prepare(chain)
    return [parent for parent in reversed(chain) if await keep(parent)]


async def descendants(
    session: AsyncSession, obj: ContentObject, viewer: Actor | None
) -> list[ContentObject]:
    """The replies under ``obj``, depth-first."""
    children: dict[str, list[ContentObject]] = {}
    frontier = [obj.ap_id]
    seen = {obj.ap_id}
    total = 0
    for _depth in range(MAX_DEPTH):
        if not frontier or total >= MAX_DESCENDANTS:
            break
        rows = await session.exec(
            select(ContentObject)
            .where(col(ContentObject.in_reply_to).in_(frontier))
            # By id, but not by walking the primary key: PostgreSQL took that
            # walk for the LIMIT and read 120,000 rows to find no reply (the
            # last level of a thread), 40 ms; through the in_reply_to index it
            # reads the replies alone and sorts them.
            .order_by(col(ContentObject.id) + 0)
            .limit(MAX_DESCENDANTS - total)
        )
        frontier = []
        for reply in rows.all():
            if reply.ap_id in seen or reply.in_reply_to is None:
                continue
            seen.add(reply.ap_id)
            children.setdefault(reply.in_reply_to, []).append(reply)
            frontier.append(reply.ap_id)
            total += 1
    # What the viewer may read is asked for the whole thread at once ("is the
    # author suspended?" once, not once a reply: a long thread's page was a
    # query per reply).
    keep = Keeper(session, viewer, set())
    await keep.prepare([r for rs in children.values() for r in rs])
    ordered: list[ContentObject] = []
    stack = list(reversed(children.get(obj.ap_id, [])))
    while stack:
        reply = stack.pop()
        if await keep(reply):
            ordered.append(reply)
        stack.extend(reversed(children.get(reply.ap_id, [])))
    return ordered
