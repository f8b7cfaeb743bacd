"""The ``community`` of an event: resolved, checked, and turned into addressing.

An event is organized by a community the organizer may post in, by the
rule of :mod:`api.community_param`; the community announces it to its
members (:mod:`content.communities.posting`), and a members-only
community's event is for its members alone, to read, list and join. The
community's calendar is readable by whoever may see its members.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from api.community_param import narrowed, post_target
from content.communities.manage import community_of
from content.communities.membership import is_member
from content.events.queries import EventQuery
from content.events.rules import EventDraft
from storage.models import Actor, CommunityVisibility


async def organized_by(
    session: AsyncSession, draft: EventDraft, raw: str | None, organizer: Actor
) -> EventDraft:
    """``draft`` addressed to the community ``raw`` names (unchanged without one)."""
    if raw is None:
        return draft
    community, members_only = await post_target(session, raw, organizer)
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
    return await narrowed(session, query, raw)
