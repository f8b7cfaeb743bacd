"""Replies stay inside their community: who a reply to a community's post must address.

A Mastodon app replying to a post it saw as a community's boost addresses
the post's author and mentions only; the community would never hear of the
reply. Composing a reply therefore also addresses every community (ours or
remote) that announced the post being replied to, as Lemmy does with
``audience``.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Actor, CommunityPost, ContentObject


async def communities_announcing(session: AsyncSession, obj: ContentObject) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(CommunityPost, col(CommunityPost.community_id) == Actor.id)
        .where(CommunityPost.object_id == obj.id)
    )
    return list(rows.all())
