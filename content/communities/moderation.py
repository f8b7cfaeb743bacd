"""Moderation of a community's posts: remove (an announced Delete), pin (``featured``), lock.

Only the community's owner and moderators may act. A removed post is
tombstoned here and its ``Announce{Delete}`` goes to every member's node,
which obeys because the community announced the post. A pinned post is an
``Add`` to the community's ``featured`` collection (Lemmy's and Mastodon's
reading), addressed to its members. A locked thread takes no more replies
from members (the checks of :func:`content.communities.posting.check_post`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.communities.manage import CommunityError, community_of, is_moderator
from content.communities.posting import announce_addressing, announce_delete, post_in
from content.objects import tombstone
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, CommunityPost, ContentObject, Featured

#: Posts a community may pin at once.
MAX_PINNED = 10


async def _held(
    session: AsyncSession, community: Actor, moderator: Actor, obj: ContentObject
) -> Any:
    if not await is_moderator(session, community, moderator):
        raise CommunityError("only the community's moderators may do that")
    settings = await community_of(session, community)
    row = await post_in(session, community, obj) if settings is not None else None
    if settings is None or row is None:
        raise CommunityError("the post is not in this community")
    return settings, row


async def moderate_delete(
    session: AsyncSession, node: NodeContext, community: Actor, moderator: Actor, obj: ContentObject
) -> None:
    """A moderator removes a post of the community: tombstoned here, ``Announce{Delete}``
    to every member's node (which drop it because the community announced it)."""
    settings, _row = await _held(session, community, moderator, obj)
    await tombstone(session, obj)
    await announce_delete(session, node, community, settings, obj, community.ap_id)


async def set_locked(
    session: AsyncSession, community: Actor, moderator: Actor, obj: ContentObject, locked: bool
) -> None:
    _settings, row = await _held(session, community, moderator, obj)
    row.locked = locked
    session.add(row)
    await session.flush()


def _featured_activity(
    node: NodeContext, community: Actor, kind: str, obj: ContentObject, addressing: Any
) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(community.username, new_id()),
        "type": kind,
        "actor": community.ap_id,
        "object": obj.ap_id,
        "target": community.featured_url or f"{community.ap_id}/collections/featured",
        **addressing,
    }


async def set_pinned(
    session: AsyncSession,
    node: NodeContext,
    community: Actor,
    moderator: Actor,
    obj: ContentObject,
    pinned: bool,
) -> None:
    """Pin or unpin a post of the community; doing what is done changes nothing."""
    settings, _row = await _held(session, community, moderator, obj)
    existing = (
        await session.exec(
            select(Featured).where(
                Featured.actor_id == community.id, Featured.object_ap_id == obj.ap_id
            )
        )
    ).first()
    if pinned == (existing is not None):
        return
    if pinned:
        count = len(
            (await session.exec(select(Featured.id).where(Featured.actor_id == community.id))).all()
        )
        if count >= MAX_PINNED:
            raise CommunityError(f"a community can pin at most {MAX_PINNED} posts")
        assert community.id is not None
        session.add(Featured(id=new_id(), actor_id=community.id, object_ap_id=obj.ap_id))
    else:
        await session.exec(
            delete(Featured).where(
                col(Featured.actor_id) == community.id, col(Featured.object_ap_id) == obj.ap_id
            )
        )
    await session.flush()
    addressing = announce_addressing(community, settings)
    kind = "Add" if pinned else "Remove"
    await publish(session, community, _featured_activity(node, community, kind, obj, addressing))


@dataclass
class HeldPost:
    """A post of the community as its moderators see it: what they may do to it."""

    obj: ContentObject
    author: Actor
    locked: bool
    pinned: bool


async def held_posts(session: AsyncSession, community: Actor, limit: int = 40) -> list[HeldPost]:
    """The community's newest posts (not removed), with their pinned and locked state."""
    rows = await session.exec(
        select(ContentObject, Actor, CommunityPost.locked)
        .join(CommunityPost, col(CommunityPost.object_id) == ContentObject.id)
        .join(Actor, col(Actor.id) == ContentObject.author_id)
        .where(CommunityPost.community_id == community.id, col(ContentObject.deleted_at).is_(None))
        .order_by(col(CommunityPost.id).desc())
        .limit(limit)
    )
    found = list(rows.all())
    pinned = set(
        (
            await session.exec(
                select(Featured.object_ap_id).where(Featured.actor_id == community.id)
            )
        ).all()
    )
    return [HeldPost(obj, author, locked, obj.ap_id in pinned) for obj, author, locked in found]
