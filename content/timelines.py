"""Timelines and saved lists as a viewer may see them: home, public, hashtag, bookmarks, favourites.

Every list is read newest first in pages bounded by ids (``max_id``,
``since_id``, ``min_id``: Mastodon's paging), and every candidate passes the
visibility rule (:func:`content.visibility.may_read`) before it is returned:
a followers-only or direct post reaches only its audience, whatever list it
would otherwise appear in. Rows that fail the rule are skipped and more are
read (a bounded number of rounds), so a page is not cut short by them.

An :class:`Entry` carries the id the list pages by: the post's (or boost's)
own id in timelines, the bookmark's or like's id in those lists, as Mastodon
pages them.

* **home**: posts and boosts by the accounts the viewer follows (accepted
  follows only) and by the viewer.

The timelines leave out the accounts the viewer blocks, is blocked by or
mutes (:mod:`actors.mutes`), and boosts of their posts; bookmarks and
favourites keep what the viewer chose to keep.
* **public**: public posts (never unlisted, followers-only or direct; no
  boosts), without replies to other people, optionally only local or only
  remote ones, or only those with media.
* **hashtag**: public posts carrying the tag, with the same options.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from sqlalchemy import Text, cast, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.mutes import muted_ids
from content.moderation.state import is_suspended, limited_actor_ids
from content.visibility import is_open, may_read
from storage.models import (
    Actor,
    Announce,
    Block,
    Bookmark,
    ContentObject,
    Follow,
    FollowState,
    Like,
    Visibility,
)

Item = ContentObject | Announce
T = TypeVar("T")
MAX_ROUNDS = 5


class Paging(Protocol):
    """What a list request asks for (``api.pagination.PageParams`` has this shape)."""

    @property
    def max_id(self) -> int | None: ...
    @property
    def since_id(self) -> int | None: ...
    @property
    def min_id(self) -> int | None: ...
    @property
    def limit(self) -> int: ...
    @property
    def ascending(self) -> bool: ...


@dataclass(frozen=True)
class Entry:
    cursor: int
    item: Item


@dataclass(frozen=True)
class _Window:
    max_id: int | None
    since_id: int | None
    min_id: int | None
    ascending: bool


Source = Callable[[_Window, int], Awaitable[list[Entry]]]


def bounded(query: Any, column: Any, window: Paging | _Window, size: int) -> Any:
    """``query`` restricted to the id window, ordered for it, at most ``size`` rows."""
    if window.max_id is not None:
        query = query.where(col(column) < window.max_id)
    if window.since_id is not None:
        query = query.where(col(column) > window.since_id)
    if window.min_id is not None:
        query = query.where(col(column) > window.min_id)
    order = col(column).asc() if window.ascending else col(column).desc()
    return query.order_by(order).limit(size)


def newest_first(rows: Sequence[T], window: Paging | _Window) -> list[T]:
    """Rows as lists show them: newest first, whichever way :func:`bounded` read them."""
    return list(reversed(rows)) if window.ascending else list(rows)


async def _collect(
    sources: Sequence[Source], keep: Callable[[Item], Awaitable[bool]], page: Paging
) -> list[Entry]:
    """Up to ``page.limit`` kept entries from the merged sources, newest first."""
    window = _Window(page.max_id, page.since_id, page.min_id, page.ascending)
    size = min(max(page.limit * 2, 20), 80)
    found: list[Entry] = []
    for _round in range(MAX_ROUNDS):
        batch: list[Entry] = []
        for source in sources:
            batch.extend(await source(window, size))
        batch.sort(key=lambda e: e.cursor, reverse=not window.ascending)
        batch = batch[:size]
        for entry in batch:
            if await keep(entry.item):
                found.append(entry)
                if len(found) >= page.limit:
                    break
        if len(found) >= page.limit or len(batch) < size:
            break
        last = batch[-1].cursor
        window = replace(window, min_id=last) if window.ascending else replace(window, max_id=last)
    return newest_first(found, window)


async def readable(session: AsyncSession, obj: ContentObject | None, viewer: Actor | None) -> bool:
    """Live, and the viewer may read it (public and unlisted posts cost one query: is
    the author suspended?)."""
    if obj is None or obj.deleted_at is not None:
        return False
    if is_open(obj):
        return not await is_suspended(session, obj.author_id)
    author = await session.get(Actor, obj.author_id)
    return author is not None and await may_read(session, obj, author, viewer)


async def hidden_authors(session: AsyncSession, viewer: Actor | None) -> set[int]:
    """Actors whose posts the viewer's lists leave out: blocked either way, or muted."""
    if viewer is None or viewer.id is None:
        return set()
    rows = await session.exec(
        select(Block.actor_id, Block.target_id).where(
            or_(col(Block.actor_id) == viewer.id, col(Block.target_id) == viewer.id)
        )
    )
    found = {a if t == viewer.id else t for a, t in rows.all()}
    return found | set(await muted_ids(session, viewer))


def _keeper(
    session: AsyncSession, viewer: Actor | None, hidden: set[int]
) -> Callable[[Item], Awaitable[bool]]:
    async def keep(item: Item) -> bool:
        if isinstance(item, Announce):
            if item.actor_id in hidden:
                return False
            obj = await session.get(ContentObject, item.object_id)
            return (
                obj is not None
                and obj.author_id not in hidden
                and await readable(session, obj, viewer)
            )
        return item.author_id not in hidden and await readable(session, item, viewer)

    return keep


def _posts(session: AsyncSession, query: Any) -> Source:
    async def source(window: _Window, size: int) -> list[Entry]:
        rows = await session.exec(bounded(query, ContentObject.id, window, size))
        return [Entry(o.id, o) for o in rows.all()]

    return source


async def home(session: AsyncSession, viewer: Actor, page: Paging) -> list[Entry]:
    followed = select(Follow.followee_id).where(
        Follow.follower_id == viewer.id, Follow.state == FollowState.ACCEPTED
    )
    authors = or_(
        col(ContentObject.author_id) == viewer.id, col(ContentObject.author_id).in_(followed)
    )
    posts = select(ContentObject).where(authors, col(ContentObject.deleted_at).is_(None))
    boosters = or_(col(Announce.actor_id) == viewer.id, col(Announce.actor_id).in_(followed))

    async def boosts(window: _Window, size: int) -> list[Entry]:
        rows = await session.exec(
            bounded(select(Announce).where(boosters), Announce.id, window, size)
        )
        return [Entry(a.id, a) for a in rows.all() if a.id is not None]

    return await _collect(
        [_posts(session, posts), boosts],
        _keeper(session, viewer, await hidden_authors(session, viewer)),
        page,
    )


def _public_query(viewer: Actor | None, *, local: bool | None, only_media: bool) -> Any:
    parent = aliased(ContentObject)
    query = (
        select(ContentObject)
        .outerjoin(parent, col(parent.ap_id) == ContentObject.in_reply_to)
        .where(
            ContentObject.visibility == Visibility.PUBLIC,
            col(ContentObject.deleted_at).is_(None),
            # Mastodon leaves replies out, except an author's own threads.
            or_(
                col(ContentObject.in_reply_to).is_(None),
                col(parent.author_id) == ContentObject.author_id,
            ),
        )
    )
    # A limited (silenced) or suspended account is not on public timelines.
    query = query.where(col(ContentObject.author_id).not_in(limited_actor_ids()))
    if local is not None:
        query = query.where(col(ContentObject.local).is_(local))
    if only_media:
        query = query.where(cast(ContentObject.attachments, Text) != "[]")
    if viewer is not None:
        blocked = select(Block.target_id).where(Block.actor_id == viewer.id)
        blocking = select(Block.actor_id).where(Block.target_id == viewer.id)
        query = query.where(
            col(ContentObject.author_id).not_in(blocked),
            col(ContentObject.author_id).not_in(blocking),
        )
    return query


async def public(
    session: AsyncSession,
    viewer: Actor | None,
    page: Paging,
    *,
    local: bool | None = None,
    only_media: bool = False,
) -> list[Entry]:
    query = _public_query(viewer, local=local, only_media=only_media)
    return await _collect(
        [_posts(session, query)],
        _keeper(session, viewer, await hidden_authors(session, viewer)),
        page,
    )


def has_tag(obj: ContentObject, tag: str) -> bool:
    wanted = "#" + tag.lower()
    return any(
        t.get("type") == "Hashtag" and str(t.get("name", "")).lower() == wanted for t in obj.tags
    )


async def hashtag(
    session: AsyncSession,
    viewer: Actor | None,
    tag: str,
    page: Paging,
    *,
    local: bool | None = None,
    only_media: bool = False,
) -> list[Entry]:
    """Public posts tagged ``#tag`` (case-insensitively)."""
    name = tag.lstrip("#").strip()
    if not name:
        return []
    # A coarse filter in SQL (the tag's JSON-encoded name inside the tags column,
    # the same text on SQLite and PostgreSQL; JSON escapes non-ASCII letters, which
    # lower() then cannot fold, hence the usual spellings), the exact test in Python.
    spellings = {name, name.lower(), name.capitalize(), name.upper()}
    text = func.lower(cast(ContentObject.tags, Text))
    query = _public_query(viewer, local=local, only_media=only_media).where(
        or_(*(text.contains(json.dumps("#" + s).lower()) for s in spellings))
    )
    keep_readable = _keeper(session, viewer, await hidden_authors(session, viewer))

    async def keep(item: Item) -> bool:
        return isinstance(item, ContentObject) and has_tag(item, name) and await keep_readable(item)

    return await _collect([_posts(session, query)], keep, page)


async def bookmarks(session: AsyncSession, viewer: Actor, page: Paging) -> list[Entry]:
    async def source(window: _Window, size: int) -> list[Entry]:
        query = select(Bookmark.id, ContentObject).join(
            ContentObject, col(ContentObject.id) == Bookmark.object_id
        )
        rows = await session.exec(
            bounded(query.where(Bookmark.actor_id == viewer.id), Bookmark.id, window, size)
        )
        return [Entry(mark_id, obj) for mark_id, obj in rows.all()]

    return await _collect([source], _keeper(session, viewer, set()), page)


async def favourites(session: AsyncSession, viewer: Actor, page: Paging) -> list[Entry]:
    async def source(window: _Window, size: int) -> list[Entry]:
        query = select(Like.id, ContentObject).join(
            ContentObject, col(ContentObject.id) == Like.object_id
        )
        rows = await session.exec(
            bounded(query.where(Like.actor_id == viewer.id), Like.id, window, size)
        )
        return [Entry(like_id, obj) for like_id, obj in rows.all()]

    return await _collect([source], _keeper(session, viewer, set()), page)
