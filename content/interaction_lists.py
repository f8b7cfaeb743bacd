"""Who liked or boosted a post (``favourited_by`` / ``reblogged_by``), newest first.

Paged by the Like or Announce row's id, as Mastodon pages these lists. The
caller has checked the viewer may read the post itself; the likers and
boosters of a post its readers can see are not secret in Mastodon either.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.timelines import Paging, bounded
from storage.models import Actor, Announce, ContentObject, Like


async def likers(
    session: AsyncSession, obj: ContentObject, page: Paging
) -> list[tuple[int, Actor]]:
    """``(like id, actor)`` pairs for ``obj``."""
    query = (
        select(Like.id, Actor)
        .join(Actor, col(Actor.id) == Like.actor_id)
        .where(Like.object_id == obj.id, col(Actor.gone).is_(False))
    )
    rows = await session.exec(bounded(query, Like.id, page, page.limit))
    found = [(int(like_id), actor) for like_id, actor in rows.all()]
    return list(reversed(found)) if page.ascending else found


async def boosters(
    session: AsyncSession, obj: ContentObject, page: Paging
) -> list[tuple[int, Actor]]:
    """``(announce id, actor)`` pairs for ``obj``."""
    query = (
        select(Announce.id, Actor)
        .join(Actor, col(Actor.id) == Announce.actor_id)
        .where(Announce.object_id == obj.id, col(Actor.gone).is_(False))
    )
    rows = await session.exec(bounded(query, Announce.id, page, page.limit))
    found = [(int(boost_id), actor) for boost_id, actor in rows.all()]
    return list(reversed(found)) if page.ascending else found
