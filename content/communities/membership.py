"""Membership: joining under the community's join policy, approvals, removals and bans.

Members are the community's accepted followers, so a join is a ``Follow``
and everything else follows Mastodon's and Lemmy's reading of it:

* open: the Follow is accepted at once (``Accept``);
* by approval: it waits (``manuallyApprovesFollowers``) until a moderator
  approves (``Accept``) or rejects (``Reject``) it;
* by invitation: only an invited actor's Follow is accepted, anyone
  else's is rejected at once.

A banned actor's Follow is rejected. Removing or banning a member sends
``Reject`` of their Follow, which Mastodon, GoToSocial and we read as "you
no longer follow", so the member's node keeps the membership state in step.
Join requests from one remote host are rate limited (a flood of requests
from one server costs a moderator nothing but a refusal).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import approve, find_follow, receive_follow, reject
from actors.peers import learn
from actors.ratelimit import FIVE_MINUTES, Rate, TokenBucket
from content.communities.manage import CommunityError, is_moderator
from storage.models import (
    Actor,
    Community,
    CommunityBan,
    CommunityInvitation,
    CommunityVisibility,
    Follow,
    FollowState,
    JoinPolicy,
)
from storage.rate_buckets import shared_buckets

#: Join requests (Follows that are new or asked anew) one remote host may send per five minutes.
JOIN_RATE = Rate(60, FIVE_MINUTES)

_buckets: dict[Path, TokenBucket] = {}


def join_allowed(node: NodeContext, host: str) -> bool:
    """Take one join request from ``host``'s bucket (shared by the node's processes)."""
    data_dir = node.config.data_dir
    bucket = _buckets.get(data_dir)
    if bucket is None:
        bucket = _buckets[data_dir] = TokenBucket(
            JOIN_RATE, shared=shared_buckets(data_dir), name="community-joins"
        )
    return bucket.hit(host).allowed


async def is_banned(session: AsyncSession, community: Actor, actor: Actor) -> bool:
    row = (
        await session.exec(
            select(CommunityBan.id).where(
                CommunityBan.community_id == community.id, CommunityBan.actor_id == actor.id
            )
        )
    ).first()
    return row is not None


async def is_invited(session: AsyncSession, community: Actor, actor: Actor) -> bool:
    row = (
        await session.exec(
            select(CommunityInvitation.id).where(
                CommunityInvitation.community_id == community.id,
                CommunityInvitation.actor_ap_id == actor.ap_id,
            )
        )
    ).first()
    return row is not None


async def is_member(session: AsyncSession, community: Actor, actor: Actor | None) -> bool:
    """An accepted follower of the community, or one of its moderators."""
    if actor is None or actor.id is None:
        return False
    follow = await find_follow(session, actor.id, community.id)
    if follow is not None and follow.state == FollowState.ACCEPTED:
        return True
    return await is_moderator(session, community, actor)


async def decide_join(
    session: AsyncSession, node: NodeContext, community: Actor, settings: Community, row: Follow
) -> Follow:
    """Answer a pending join under the policy: accept, reject, or leave it waiting."""
    if row.state != FollowState.PENDING:
        return row
    joiner = await session.get(Actor, row.follower_id)
    assert joiner is not None
    if await is_banned(session, community, joiner):
        return await reject(session, node, row)
    if settings.join_policy == JoinPolicy.OPEN:
        return await approve(session, node, row)
    if settings.join_policy == JoinPolicy.INVITATION:
        if await is_invited(session, community, joiner):
            return await approve(session, node, row)
        return await reject(session, node, row)
    return row  # by approval: a moderator decides


async def receive_join(
    session: AsyncSession,
    node: NodeContext,
    community: Actor,
    settings: Community,
    joiner: Actor,
    activity_ap_id: str,
) -> Follow:
    """A remote actor's Follow of our community.

    For a members-only community, the joiner's server is looked up (its
    software decides whether the community's posts may go there at all).
    """
    if settings.visibility == CommunityVisibility.MEMBERS:
        await learn(session, node, [joiner.ap_id])
    existing = await find_follow(session, joiner.id, community.id)
    if existing is not None and existing.state == FollowState.ACCEPTED:
        if await is_banned(session, community, joiner):
            return await reject(session, node, existing)
        return await receive_follow(session, node, joiner, community, activity_ap_id)
    asks_anew = existing is None or existing.activity_ap_id != activity_ap_id
    if asks_anew and not join_allowed(node, joiner.domain):
        raise CommunityError(f"too many join requests from {joiner.domain}; try later")
    if existing is None:
        assert joiner.id is not None and community.id is not None
        existing = Follow(
            follower_id=joiner.id, followee_id=community.id, activity_ap_id=activity_ap_id
        )
    existing.activity_ap_id = activity_ap_id
    existing.state = FollowState.PENDING
    session.add(existing)
    await session.flush()
    return await decide_join(session, node, community, settings, existing)


async def pending(session: AsyncSession, community: Actor) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(Follow, col(Follow.follower_id) == Actor.id)
        .where(Follow.followee_id == community.id, Follow.state == FollowState.PENDING)
        .order_by(col(Follow.id))
    )
    return list(rows.all())


async def members(session: AsyncSession, community: Actor) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(Follow, col(Follow.follower_id) == Actor.id)
        .where(Follow.followee_id == community.id, Follow.state == FollowState.ACCEPTED)
        .order_by(col(Follow.id))
    )
    return list(rows.all())


async def member_count(session: AsyncSession, community: Actor) -> int:
    return int(
        (
            await session.exec(
                select(func.count())
                .select_from(Follow)
                .where(Follow.followee_id == community.id, Follow.state == FollowState.ACCEPTED)
            )
        ).one()
    )


async def _request(session: AsyncSession, community: Actor, actor: Actor) -> Follow:
    row = await find_follow(session, actor.id, community.id)
    if row is None or row.state != FollowState.PENDING:
        raise CommunityError("there is no join request from that account")
    return row


async def approve_request(
    session: AsyncSession, node: NodeContext, community: Actor, actor: Actor
) -> Follow:
    row = await _request(session, community, actor)
    if await is_banned(session, community, actor):
        raise CommunityError("that account is banned from the community")
    return await approve(session, node, row)


async def reject_request(
    session: AsyncSession, node: NodeContext, community: Actor, actor: Actor
) -> Follow:
    return await reject(session, node, await _request(session, community, actor))


async def remove_member(
    session: AsyncSession, node: NodeContext, community: Actor, actor: Actor
) -> bool:
    """Drop a member (or a request); their node hears a Reject. False if they were neither."""
    row = await find_follow(session, actor.id, community.id)
    if row is None or row.state == FollowState.REJECTED:
        return False
    await reject(session, node, row)
    return True


async def ban(
    session: AsyncSession, node: NodeContext, community: Actor, actor: Actor, reason: str = ""
) -> bool:
    """Ban ``actor``: removed now, future joins and posts refused. False if already banned."""
    if await is_moderator(session, community, actor):
        raise CommunityError("a moderator cannot be banned; remove the role first")
    await remove_member(session, node, community, actor)
    if await is_banned(session, community, actor):
        return False
    assert community.id is not None and actor.id is not None
    session.add(CommunityBan(community_id=community.id, actor_id=actor.id, reason=reason[:1000]))
    await session.flush()
    return True


async def unban(session: AsyncSession, community: Actor, actor: Actor) -> bool:
    result = await session.exec(
        delete(CommunityBan).where(
            col(CommunityBan.community_id) == community.id, col(CommunityBan.actor_id) == actor.id
        )
    )
    return bool(result.rowcount)


async def invite(session: AsyncSession, community: Actor, actor_ap_id: str) -> bool:
    """Let ``actor_ap_id`` join a by-invitation community; a pending request is approved."""
    exists = (
        await session.exec(
            select(CommunityInvitation.id).where(
                CommunityInvitation.community_id == community.id,
                CommunityInvitation.actor_ap_id == actor_ap_id,
            )
        )
    ).first()
    if exists is not None:
        return False
    assert community.id is not None
    session.add(CommunityInvitation(community_id=community.id, actor_ap_id=actor_ap_id[:2048]))
    await session.flush()
    return True
