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
from content.visibility import is_open, may_read, suspended_among
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
from storage.repos.by_id import actors_by_id, objects_by_id

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


async def _collect(sources: Sequence[Source], keep: Keeper, page: Paging) -> list[Entry]:
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
        await keep.prepare([entry.item for entry in batch])
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


async def readable(
    session: AsyncSession,
    obj: ContentObject | None,
    viewer: Actor | None,
    *,
    suspended: bool | None = None,
) -> bool:
    """Live, and the viewer may read it. ``suspended`` answers "is the author
    suspended?" when the caller asked it for a whole page (:func:`suspended_among`);
    None asks here (one query, all a public or unlisted post costs)."""
    if obj is None or obj.deleted_at is not None:
        return False
    if suspended is None:
        suspended = await is_suspended(session, obj.author_id)
    if suspended:
        return False
    if is_open(obj):
        return True
    author = await session.get(Actor, obj.author_id)
    return author is not None and await may_read(session, obj, author, viewer, suspended=False)


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


class Keeper:
    """Which items of a list the viewer sees: live, readable, not by a hidden author.

    What every item would otherwise ask on its own (the post a boost boosts, "is
    the author suspended?", the author of a post that is not open) is read for a
    whole batch at once in :meth:`prepare`, so a page costs the same few queries
    however many posts and authors it has; only posts that are not open still
    ask their own audience questions (a follow, an addressed community).
    """

    def __init__(
        self,
        session: AsyncSession,
        viewer: Actor | None,
        hidden: set[int],
        only: Callable[[Item], bool] | None = None,
    ) -> None:
        self._session = session
        self._viewer = viewer
        self._hidden = hidden
        self._only = only
        self._boosted: dict[int, ContentObject] = {}
        self._suspended: set[int] = set()
        self._authors: dict[int, Actor] = {}

    async def prepare(self, items: Sequence[Item]) -> None:
        """Read what ``items`` will ask, one query for each kind of question."""
        wanted = {i.object_id for i in items if isinstance(i, Announce)} - self._boosted.keys()
        if wanted:
            self._boosted.update(await objects_by_id(self._session, wanted))
        posts = [self._post(i) for i in items]
        live = [p for p in posts if p is not None and p.deleted_at is None]
        self._suspended = await suspended_among(self._session, {p.author_id for p in live})
        closed = {p.author_id for p in live if not is_open(p)}
        closed -= self._suspended | self._authors.keys()
        if closed:
            self._authors.update(await actors_by_id(self._session, closed))

    def _post(self, item: Item) -> ContentObject | None:
        return self._boosted.get(item.object_id) if isinstance(item, Announce) else item

    async def __call__(self, item: Item) -> bool:
        if self._only is not None and not self._only(item):
            return False
        if isinstance(item, Announce) and item.actor_id in self._hidden:
            return False
        obj = self._post(item)
        if obj is None or obj.deleted_at is not None or obj.author_id in self._hidden:
            return False
        if obj.author_id in self._suspended:
            return False
        if is_open(obj):
            return True
        author = self._authors.get(obj.author_id)
        return author is not None and await may_read(
            self._session, obj, author, self._viewer, suspended=False
        )


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
        Keeper(session, viewer, await hidden_authors(session, viewer)),
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
        Keeper(session, viewer, await hidden_authors(session, viewer)),
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

    def tagged(item: Item) -> bool:
        return isinstance(item, ContentObject) and has_tag(item, name)

    keep = Keeper(session, viewer, await hidden_authors(session, viewer), only=tagged)
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

    return await _collect([source], Keeper(session, viewer, set()), page)


async def favourites(session: AsyncSession, viewer: Actor, page: Paging) -> list[Entry]:
    async def source(window: _Window, size: int) -> list[Entry]:
        query = select(Like.id, ContentObject).join(
            ContentObject, col(ContentObject.id) == Like.object_id
        )
        rows = await session.exec(
            bounded(query.where(Like.actor_id == viewer.id), Like.id, window, size)
        )
        return [Entry(like_id, obj) for like_id, obj in rows.all()]

    return await _collect([source], Keeper(session, viewer, set()), page)
