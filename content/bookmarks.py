"""Bookmarks: posts an actor saved for later, seen only by that actor.

Nothing is published: a bookmark is private to its owner (unlike a like,
which the author learns of). A post can be bookmarked only while its owner
may read it; if that stops (an unfollow from a followers-only author), the
bookmark stays but the list hides the post (:mod:`content.timelines`).
"""

from __future__ import annotations

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.ids import new_id
from storage.models import Actor, Bookmark, ContentObject


async def bookmark(session: AsyncSession, actor: Actor, obj: ContentObject) -> Bookmark:
    """Bookmark ``obj`` (the caller checked ``actor`` may read it); twice is once."""
    existing = (
        await session.exec(
            select(Bookmark).where(Bookmark.actor_id == actor.id, Bookmark.object_id == obj.id)
        )
    ).first()
    if existing is not None:
        return existing
    assert actor.id is not None and obj.id is not None
    row = Bookmark(id=new_id(), actor_id=actor.id, object_id=obj.id)
    session.add(row)
    await session.flush()
    return row


async def unbookmark(session: AsyncSession, actor: Actor, obj: ContentObject) -> None:
    await session.exec(
        delete(Bookmark).where(
            col(Bookmark.actor_id) == actor.id, col(Bookmark.object_id) == obj.id
        )
    )
    await session.flush()
