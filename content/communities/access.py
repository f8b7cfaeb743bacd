"""Who may see what of a community: its members collection and its page.

A members-only community shows its members (and their number) only to its
members and moderators; everyone else gets the 404 an absent collection
gets. A public community's members collection is public, as every group
server's followers collection is.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from content.communities.manage import community_of
from content.communities.membership import is_member
from storage.models import Actor, CommunityVisibility


async def members_visible_to(session: AsyncSession, actor: Actor, viewer: Actor | None) -> bool:
    """May ``viewer`` (None: anonymous) read ``actor``'s followers collection?"""
    settings = await community_of(session, actor)
    if settings is None or settings.visibility != CommunityVisibility.MEMBERS:
        return True
    return await is_member(session, actor, viewer)
