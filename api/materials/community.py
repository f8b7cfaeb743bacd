"""The ``community`` of a material: resolved, checked, and turned into addressing.

A material is posted to a community the author belongs to (an accepted
member, or a moderator of one of ours), named by the community's account id
or URI; it is then addressed to the community, which announces it to its
members, and in a members-only community it is addressed to the community
alone (visibility ``direct`` underneath), so only members find it in any
library. The library filters by community the same way: the materials the
community announced.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError
from content.communities.directory import find_community
from content.communities.manage import community_of
from content.communities.membership import is_member
from content.materials.library import LibraryQuery
from content.materials.publishing import MaterialDraft
from storage.models import Actor, CommunityVisibility

UNKNOWN = "Validation failed: community is not a community known here"


async def known_community(session: AsyncSession, raw: str) -> Actor:
    """The community ``raw`` names (its account id or URI), or a 422."""
    actor = await find_community(session, raw)
    if actor is None:
        raise ApiError(422, UNKNOWN)
    return actor


async def posted_to(
    session: AsyncSession, draft: MaterialDraft, raw: str | None, author: Actor
) -> MaterialDraft:
    """``draft`` addressed to the community ``raw`` names (unchanged without one)."""
    if raw is None:
        return draft
    community = await known_community(session, raw)
    if not await is_member(session, community, author):
        raise ApiError(422, "Validation failed: only members post to a community")
    settings = await community_of(session, community)
    members_only = settings is not None and settings.visibility == CommunityVisibility.MEMBERS
    return replace(draft, community=community.ap_id, members_only=members_only)


async def filtered(session: AsyncSession, query: LibraryQuery, raw: str | None) -> LibraryQuery:
    if raw is None:
        return query
    community = await known_community(session, raw)
    return replace(query, community_id=community.id)
