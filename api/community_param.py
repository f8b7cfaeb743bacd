"""The ``community`` parameter of an event or a material: resolved, checked, turned into addressing.

An event or a material is posted to a community named by its account id or
URI. The rule is the one the community applies when it announces a post
(:func:`content.communities.posting.check_post`): a member, not banned, and a
moderator where only moderators start threads. It is asked here first so
that a post the community would refuse is a ``422`` and nothing is kept. In
a members-only community the post is addressed to the community alone, so
only its members read, list and find it. A list filtered by community names
it the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError
from content.communities.directory import find_community
from content.communities.manage import community_of, is_moderator
from content.communities.membership import is_banned, is_member
from storage.models import Actor, CommunityVisibility, PostingPolicy

UNKNOWN = "Validation failed: community is not a community known here"

Query = TypeVar("Query", bound=Any)  # a frozen dataclass with a ``community_id`` field


async def known_community(session: AsyncSession, raw: str) -> Actor:
    """The community ``raw`` names (its account id or URI), or a 422."""
    found = await find_community(session, raw)
    if found is None:
        raise ApiError(422, UNKNOWN)
    return found


async def post_target(session: AsyncSession, raw: str, author: Actor) -> tuple[Actor, bool]:
    """The community ``raw`` names if ``author`` may post to it, and whether it is
    members-only; else a 422."""
    community = await known_community(session, raw)
    if await is_banned(session, community, author) or not await is_member(
        session, community, author
    ):
        raise ApiError(422, "Validation failed: only members post to a community")
    settings = await community_of(session, community)
    if (
        settings is not None
        and settings.posting_policy == PostingPolicy.MODERATORS
        and not await is_moderator(session, community, author)
    ):
        raise ApiError(422, "Validation failed: only moderators post to this community")
    members_only = settings is not None and settings.visibility == CommunityVisibility.MEMBERS
    return community, members_only


async def narrowed(session: AsyncSession, query: Query, raw: str | None) -> Query:
    """``query`` narrowed to the community ``raw`` names (unchanged without one)."""
    if raw is None:
        return query
    found = await known_community(session, raw)
    narrowed_query: Query = replace(query, community_id=found.id)
    return narrowed_query
