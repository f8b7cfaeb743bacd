"""A post's thread as a viewer may see it: its ancestors and its descendants.

What ``GET /api/v1/statuses/:id/context`` shows. Only posts the viewer may
read are returned (:func:`content.timelines.readable`), so a followers-only
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

from content.moderation.state import states_of
from content.objects import object_by_ap_id
from content.timelines import readable
from content.visibility import is_open
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
        if await readable(session, parent, viewer):
            chain.append(parent)
        parent_id = parent.in_reply_to
    return list(reversed(chain))


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
            .order_by(col(ContentObject.id))
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
    # Open replies need only "is the author suspended?": asked once for the whole
    # thread, not once a reply (a long thread's page was a query per reply).
    open_authors = {r.author_id for rs in children.values() for r in rs if is_open(r)}
    states = await states_of(session, list(open_authors))
    suspended = {i for i, state in states.items() if state.suspended_at is not None}
    ordered: list[ContentObject] = []
    stack = list(reversed(children.get(obj.ap_id, [])))
    while stack:
        reply = stack.pop()
        if is_open(reply):
            shown = reply.deleted_at is None and reply.author_id not in suspended
        else:
            shown = await readable(session, reply, viewer)
        if shown:
            ordered.append(reply)
        stack.extend(reversed(children.get(reply.ap_id, [])))
    return ordered
