"""An account's posts and boosts as a viewer may see them (API account statuses, web profile).

Privacy first: every candidate passes :func:`content.visibility.may_read`
for the viewer (a boost: the boosted post), through
:class:`content.timelines.Keeper` (which asks what a whole batch needs at
once), so a followers-only post reaches only accepted followers and a direct
one only its addressees, whatever filters or paging a client asks for. An
author who blocks the viewer shows them nothing, as on Mastodon.

Posts and boosts are two tables merged newest first by id. Candidates are
read in batches and filtered in Python (visibility, hashtags and media live
in JSON columns), until a page is full or the account has no more; a scan
stops after :data:`MAX_SCANNED` rows so a viewer who may read almost nothing
cannot make one request walk a whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.graph import blocks
from content.timelines import Keeper, bounded, newest_first
from content.timelines import Paging as PageParams
from storage.models import Actor, Announce, ContentObject, Featured

StatusItem = ContentObject | Announce

MAX_SCANNED = 1_000


@dataclass(frozen=True)
class StatusFilters:
    only_media: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    pinned: bool = False
    tagged: str | None = None


def _has_tag(obj: ContentObject, tag: str) -> bool:
    wanted = tag.lstrip("#").lower()
    return any(
        isinstance(t, dict)
        and t.get("type") == "Hashtag"
        and str(t.get("name", "")).lstrip("#").lower() == wanted
        for t in obj.tags
    )


def _matches(obj: ContentObject, filters: StatusFilters) -> bool:
    if filters.only_media and not obj.attachments:
        return False
    if filters.exclude_replies and obj.in_reply_to is not None:
        return False
    return not (filters.tagged and not _has_tag(obj, filters.tagged))


def _window(query: Any, column: Any, page: PageParams, cursor: int | None, size: int) -> Any:
    """:func:`content.timelines.bounded`, past ``cursor`` (the last row a batch read)."""
    if cursor is not None:
        query = query.where(col(column) > cursor if page.ascending else col(column) < cursor)
    return bounded(query, column, page, size)


async def _candidates(
    session: AsyncSession,
    author: Actor,
    page: PageParams,
    filters: StatusFilters,
    cursor: int | None,
    size: int,
) -> list[StatusItem]:
    posts = select(ContentObject).where(
        ContentObject.author_id == author.id, col(ContentObject.deleted_at).is_(None)
    )
    if filters.pinned:
        pinned = select(Featured.object_ap_id).where(Featured.actor_id == author.id)
        posts = posts.where(col(ContentObject.ap_id).in_(pinned.scalar_subquery()))
    if filters.exclude_replies:
        posts = posts.where(col(ContentObject.in_reply_to).is_(None))
    items: list[StatusItem] = list(
        (await session.exec(_window(posts, ContentObject.id, page, cursor, size))).all()
    )
    if not (filters.exclude_reblogs or filters.pinned or filters.only_media or filters.tagged):
        boosts = select(Announce).where(Announce.actor_id == author.id)
        items.extend((await session.exec(_window(boosts, Announce.id, page, cursor, size))).all())
    items.sort(key=lambda item: item.id or 0, reverse=not page.ascending)
    return items[:size]


async def account_statuses(
    session: AsyncSession,
    author: Actor,
    viewer: Actor | None,
    page: PageParams,
    filters: StatusFilters,
) -> list[StatusItem]:
    """Up to ``page.limit`` items the viewer may read, newest first."""
    if viewer is not None and await blocks(session, author.id, viewer.id):
        return []
    found: list[StatusItem] = []
    cursor: int | None = None
    scanned = 0
    # Asks "is the author suspended?" (and reads boosted posts) once a batch.
    keep = Keeper(session, viewer, set())
    size = max(page.limit * 2, 40)
    while len(found) < page.limit and scanned < MAX_SCANNED:
        batch = await _candidates(session, author, page, filters, cursor, size)
        if not batch:
            break
        await keep.prepare(batch)
        for item in batch:
            scanned += 1
            cursor = item.id
            if isinstance(item, ContentObject) and not _matches(item, filters):
                continue
            if await keep(item):
                found.append(item)
                if len(found) >= page.limit:
                    break
        if len(batch) < size:
            break
    return newest_first(found, page)
