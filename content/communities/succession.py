"""A community outlives its owner: when the owner's account is erased, someone else owns it.

Only the owner may appoint moderators and nobody else can take the role, so
a community whose owner's account is erased would be left without anyone
able to run it. The erasure job (:mod:`content.account_data.erasure`, which
every way of erasing goes through: the settings page, the API, the admin's
``DELETE /api/v1/admin/accounts/:id``, ``staffroom accounts erase``) hands
each local community the account owns, just before the account's rows go
(and so does the end of a suspension's grace period,
:mod:`content.moderation.suspension`), to the first of:

1. its longest-standing local moderator (appointed first): the owner chose
   them to run it, whatever their role;
2. else its longest-standing local member (joined first), but never a
   student: a child does not take on a community's moderation unless a
   teacher chose them as a moderator;
3. else the node's longest-standing admin: a community nobody is left in
   still belongs to the school, whose admin may hand it on or close it.

Only a live account qualifies (not erased or being erased, not disabled, not
suspended). The new owner gets a ``community_owner`` notification from the
community (Staffroom's own type: Mastodon apps skip it, our notifications
page says what happened and links to the manage page). When nobody at all
qualifies (no live admin either), the community is left without an owner
and the erasure goes on; an admin's account can still be given the role.
"""

from __future__ import annotations

import logging

from sqlalchemy import ColumnElement, and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.notifications import COMMUNITY_OWNER, notify
from storage.models import (
    Account,
    Actor,
    Community,
    CommunityMember,
    CommunityRole,
    Follow,
    FollowState,
    Role,
)

log = logging.getLogger(__name__)


def _live_person(leaving: Actor) -> ColumnElement[bool]:
    """Conditions, on ``Actor`` joined with its ``Account`` (so a person of ours, never
    a remote actor, a community or the node's own actor), of someone who can run it:
    not erased or being erased (``gone``), not disabled (a suspension disables too)."""
    return and_(
        col(Actor.id) != leaving.id,
        col(Actor.gone).is_(False),
        col(Account.disabled).is_(False),
    )


async def successor(session: AsyncSession, community: Actor, leaving: Actor) -> Actor | None:
    """Who takes ``community`` over from ``leaving`` (see the module's order), or None."""
    people = select(Actor).join(Account, col(Account.actor_id) == Actor.id)
    moderator = await session.exec(
        people.join(CommunityMember, col(CommunityMember.actor_id) == Actor.id)
        .where(CommunityMember.community_id == community.id, _live_person(leaving))
        .order_by(col(CommunityMember.created_at), col(CommunityMember.id))
        .limit(1)
    )
    if (found := moderator.first()) is not None:
        return found
    member = await session.exec(
        people.join(Follow, col(Follow.follower_id) == Actor.id)
        .where(
            Follow.followee_id == community.id,
            Follow.state == FollowState.ACCEPTED,
            Account.role != Role.STUDENT,
            _live_person(leaving),
        )
        .order_by(col(Follow.created_at), col(Follow.id))
        .limit(1)
    )
    if (found := member.first()) is not None:
        return found
    admin = await session.exec(
        people.where(Account.role == Role.ADMIN, _live_person(leaving))
        .order_by(col(Account.created_at), col(Account.id))
        .limit(1)
    )
    return admin.first()


async def owned_by(session: AsyncSession, owner: Actor) -> list[Actor]:
    """The local communities ``owner`` owns."""
    rows = await session.exec(
        select(Actor)
        .join(CommunityMember, col(CommunityMember.community_id) == Actor.id)
        .join(Community, col(Community.actor_id) == Actor.id)
        .where(CommunityMember.actor_id == owner.id, CommunityMember.role == CommunityRole.OWNER)
        .order_by(col(Actor.id))
    )
    return list(rows.all())


async def hand_over(session: AsyncSession, leaving: Actor) -> dict[int, Actor | None]:
    """Pass every community ``leaving`` owns to its successor; community id → new owner.

    The leaving owner's role row goes; a moderator who takes over keeps their
    row, now the owner's, so their standing (``created_at``) stays.
    """
    handed: dict[int, Actor | None] = {}
    for community in await owned_by(session, leaving):
        assert community.id is not None
        heir = await successor(session, community, leaving)
        people = [leaving.id] if heir is None else [leaving.id, heir.id]
        roles = await session.exec(
            select(CommunityMember).where(
                CommunityMember.community_id == community.id,
                col(CommunityMember.actor_id).in_(people),
            )
        )
        rows = {row.actor_id: row for row in roles.all()}
        await session.delete(rows.pop(leaving.id or 0))
        await session.flush()  # one owner at a time (the row's role is not unique, the person is)
        handed[community.id] = heir
        if heir is None:
            log.warning("community %s has no one left to own it", community.ap_id)
            continue
        assert heir.id is not None
        row = rows.get(heir.id) or CommunityMember(community_id=community.id, actor_id=heir.id)
        row.role = CommunityRole.OWNER
        session.add(row)
        await session.flush()
        await notify(session, heir, COMMUNITY_OWNER, community)
    return handed
