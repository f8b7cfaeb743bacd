"""The ``community`` of a material: resolved, checked, and turned into addressing.

A material is posted to a community the author may post in, by the rule
of :mod:`api.community_param` (the one the community applies when it
announces it); it is then addressed to the community, which announces it to
its members, and in a members-only community it is addressed to the
community alone (visibility ``direct`` underneath), so only members find it
in any library. The library filters by community the same way: the materials the
community announced.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from api.community_param import narrowed, post_target
from content.materials.drafts import MaterialDraft
from content.materials.library import LibraryQuery
from storage.models import Actor


async def posted_to(
    session: AsyncSession, draft: MaterialDraft, raw: str | None, author: Actor
) -> MaterialDraft:
    """``draft`` addressed to the community ``raw`` names (unchanged without one)."""
    if raw is None:
        return draft
    community, members_only = await post_target(session, raw, author)
    return replace(draft, community=community.ap_id, members_only=members_only)


async def filtered(session: AsyncSession, query: LibraryQuery, raw: str | None) -> LibraryQuery:
    return await narrowed(session, query, raw)
