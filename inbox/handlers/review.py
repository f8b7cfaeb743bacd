"""Create and Update of a review: a ``Note`` carrying ``rating`` that replies to a material.

A Note without ``rating``, or replying to anything but a material we know,
is an ordinary post (a Mastodon reply to a material is a comment). A review
must come from an account that can see the material, carry a whole rating
from 1 to 5, and be the first of its author for that material (an Update of
the first one replaces it); otherwise the activity is refused and nothing
of it is kept, not even the Note. The Note itself is stored like any reply,
so the review shows in the material's thread.

On the material's own node the rating is recounted and a debounced Update
of the material tells everyone the new figures (:mod:`content.materials.ratings`).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import attributed_to
from content.materials import reviews
from content.materials.ratings import RatingError, check_rating
from content.objects import object_by_ap_id
from content.visibility import may_read
from federation.vocab import id_of
from inbox.handlers import create as create_post
from inbox.handlers import update as update_post
from inbox.handlers.common import Refused, embedded, object_id, sender
from storage.models import Actor, InboxItem, Material


async def _material(session: AsyncSession, item: InboxItem) -> Material | None:
    doc = embedded(item)
    if doc is None or "rating" not in doc:
        return None
    parent = await object_by_ap_id(session, id_of(doc.get("inReplyTo")) or "")
    if parent is None or parent.deleted_at is not None:
        return None
    return await session.get(Material, parent.id)


def _rating(item: InboxItem) -> int:
    doc = embedded(item) or {}
    try:
        return check_rating(doc.get("rating"))
    except RatingError as exc:
        raise Refused(str(exc)) from exc


async def create(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    material = await _material(session, item)
    if material is None:
        await create_post.handle(session, node, item)
        return
    doc = embedded(item) or {}
    reviewer = await sender(session, node, item)
    if attributed_to(doc) != reviewer.ap_id:
        raise Refused("the review is attributed to another actor than the sender")
    rating = _rating(item)
    material_obj = await object_by_ap_id(session, id_of(doc.get("inReplyTo")) or "")
    author = await session.get(Actor, material.author_id)
    assert material_obj is not None
    if author is None or not await may_read(session, material_obj, author, reviewer):
        raise Refused("the reviewer cannot see the material")
    earlier = await reviews.review_of(session, material.object_id, reviewer)
    if earlier is not None:
        if earlier.ap_id == doc.get("id"):
            return  # a redelivery
        raise Refused("one review per reviewer per material; an Update of the first replaces it")
    await create_post.handle(session, node, item)
    note = await object_by_ap_id(session, object_id(item) or "")
    if note is not None and note.deleted_at is None:
        await reviews.receive(session, node, reviewer, material, note, rating)


async def update(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    row = await reviews.review_by_ap_id(session, object_id(item) or "")
    rating = _rating(item) if row is not None else None
    await update_post.edit(session, node, item)
    if row is None:
        return
    note = await object_by_ap_id(session, row.ap_id)
    if note is not None and note.deleted_at is None:
        await reviews.receive_edit(session, node, row, note, rating)
