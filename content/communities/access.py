"""Who may see what of a community: its members collection and its page.

A members-only community shows its members (and their number) only to its
members and moderators; everyone else gets the 404 an absent collection
gets. A public community's members collection is public, as every group
server's followers collection is.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from content.communities.manage import community_of
from content.communities.membership import is_member
from storage.models import Actor, CommunityVisibility, ContentObject, Visibility
from storage.repos.peers import members_only_communities


async def members_visible_to(session: AsyncSession, actor: Actor, viewer: Actor | None) -> bool:
    """May ``viewer`` (None: anonymous) read ``actor``'s followers collection?"""
    settings = await community_of(session, actor)
    if settings is None or settings.visibility != CommunityVisibility.MEMBERS:
        return True
    return await is_member(session, actor, viewer)


async def members_only_posts(
    session: AsyncSession, objects: Iterable[ContentObject]
) -> dict[int, str]:
    """Which of ``objects`` belong to a members-only community: object id → community id (URI).

    Such a post is stored ``direct`` (addressed to the community alone), but
    it is no private conversation: the client API shows it as ``private``
    with the community named (see ``api/entities/status.py``).
    """
    direct = [o for o in objects if o.visibility == Visibility.DIRECT and o.id is not None]
    if not direct:
        return {}
    addressed = {i for o in direct for i in [*o.to, *o.cc]}
    groups = await members_only_communities(session, addressed)
    keys = {g.ap_id: g.ap_id for g in groups}
    keys.update({g.followers_url: g.ap_id for g in groups if g.followers_url})
    found: dict[int, str] = {}
    for obj in direct:
        assert obj.id is not None
        hit = next((keys[i] for i in [*obj.to, *obj.cc] if i in keys), None)
        if hit is not None:
            found[obj.id] = hit
    return found
