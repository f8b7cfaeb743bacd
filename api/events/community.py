"""The ``community`` of an event: resolved, checked, and turned into addressing.

An event is organized by a community the organizer may post in (a member,
not banned, and a moderator where only moderators start threads); it is
then addressed to the community, which announces it to its members
(:mod:`content.communities.posting`), and in a members-only community it is
addressed to the community alone, so only its members read, list and join
it. The community's calendar is readable by whoever may see its members.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError
from content.communities.directory import find_community
from content.communities.manage import community_of, is_moderator
from content.communities.membership import is_banned, is_member
from content.events.queries import EventQuery
from content.events.rules import EventDraft
from storage.models import Actor, CommunityVisibility, PostingPolicy

UNKNOWN = "Validation failed: community is not a community known here"


async def known_community(session: AsyncSession, raw: str) -> Actor:
    """The community ``raw`` names (its account id or URI), or a 422."""
    found = await find_community(session, raw)
    if found is None:
        raise ApiError(422, UNKNOWN)
    return found


async def organized_by(
    session: AsyncSession, draft: EventDraft, raw: str | None, organizer: Actor
) -> EventDraft:
    """``draft`` addressed to the community ``raw`` names (unchanged without one)."""
    if raw is None:
        return draft
    community = await known_community(session, raw)
    if await is_banned(session, community, organizer) or not await is_member(
        session, community, organizer
    ):
        raise ApiError(422, "Validation failed: only members post to a community")
    settings = await community_of(session, community)
    if (
        settings is not None
        and settings.posting_policy == PostingPolicy.MODERATORS
        and not await is_moderator(session, community, organizer)
    ):
        raise ApiError(422, "Validation failed: only moderators post to this community")
    members_only = settings is not None and settings.visibility == CommunityVisibility.MEMBERS
    return replace(
        draft, community=community.ap_id, community_id=community.id, members_only=members_only
    )


async def calendar_visible(session: AsyncSession, community: Actor, viewer: Actor | None) -> bool:
    """A members-only community's calendar is for its members alone."""
    settings = await community_of(session, community)
    if settings is None or settings.visibility != CommunityVisibility.MEMBERS:
        return True
    return await is_member(session, community, viewer)


async def filtered(session: AsyncSession, query: EventQuery, raw: str | None) -> EventQuery:
    """The list narrowed to the community ``raw`` names (``community_id`` works too)."""
    if raw is None:
        return query
    found = await known_community(session, raw)
    return replace(query, community_id=found.id)
