"""Who liked or boosted a post (``favourited_by`` / ``reblogged_by``), newest first.

Paged by the Like or Announce row's id, as Mastodon pages these lists. The
caller has checked the viewer may read the post itself; the likers and
boosters of a post its readers can see are not secret in Mastodon either.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.timelines import Paging, bounded, newest_first
from storage.models import Actor, Announce, ContentObject, Like


async def _who(
    session: AsyncSession, model: type[Like] | type[Announce], obj: ContentObject, page: Paging
) -> list[tuple[int, Actor]]:
    query = (
        select(model.id, Actor)
        .join(Actor, col(Actor.id) == model.actor_id)
        .where(model.object_id == obj.id, col(Actor.gone).is_(False))
    )
    rows = await session.exec(bounded(query, model.id, page, page.limit))
    return [(int(row_id), actor) for row_id, actor in newest_first(rows.all(), page)]


async def likers(
    session: AsyncSession, obj: ContentObject, page: Paging
) -> list[tuple[int, Actor]]:
    """``(like id, actor)`` pairs for ``obj``."""
    return await _who(session, Like, obj, page)


async def boosters(
    session: AsyncSession, obj: ContentObject, page: Paging
) -> list[tuple[int, Actor]]:
    """``(announce id, actor)`` pairs for ``obj``."""
    return await _who(session, Announce, obj, page)
