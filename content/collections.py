"""An actor's collections as ActivityPub documents: outbox, inbox, followers, following, featured.

Paging is by keyset on the time-sortable row id, newest first, like Mastodon:
``?page=true`` is the first page, ``max_id`` pages back in time (``next``)
and ``min_id`` forward (``prev``). Offsets would skip or repeat items while
new ones arrive; a keyset never does.

What each collection may show is decided here, once: the outbox lists only
public activities (``Activity.public``, which includes unlisted, as in
Mastodon), featured lists only posts anyone may read, and the inbox is for
its owner, which the route checks before calling :func:`inbox_page`. The
activities of the inbox and the outbox are rendered from the node's state,
never served as their stored bodies (:mod:`content.activity_view`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from content.activity_view import ActivityView
from content.as2 import object_to_as2
from content.visibility import OPEN_VISIBILITIES
from federation.jsonld import canonical_context
from storage.models import (
    Activity,
    Actor,
    ContentObject,
    Featured,
    Follow,
    FollowState,
    InboxItem,
    MailboxEntry,
)

PAGE_SIZE = 20


@dataclass(frozen=True)
class PageRequest:
    """Which page a request asked for; ``page`` False means the collection itself."""

    page: bool = False
    max_id: int | None = None
    min_id: int | None = None

    @classmethod
    def parse(cls, query: dict[str, str]) -> PageRequest:
        def number(name: str) -> int | None:
            raw = query.get(name, "")
            return int(raw) if raw.isdigit() and len(raw) < 20 else None

        max_id, min_id = number("max_id"), number("min_id")
        wants = query.get("page", "").lower() in ("true", "1") or bool(max_id or min_id)
        return cls(wants, max_id, min_id)


def _without_context(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "@context"}


def _url(base: str, **params: Any) -> str:
    return f"{base}?{urlencode({'page': 'true', **params})}"


def collection(base: str, total: int) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": base,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": _url(base),
    }


async def _page(
    session: AsyncSession,
    base: str,
    query: Any,
    key: Any,
    request: PageRequest,
    render: Callable[[Sequence[Any]], Awaitable[list[Any]]],
    key_of: Callable[[Any], int],
) -> dict[str, Any]:
    """One keyset page of ``query`` (rows ordered by ``key``, newest first).

    ``next``/``prev`` are offered when more rows may lie that way; a ``prev``
    from the newest page can come back empty, which clients take as "done".
    """
    params: dict[str, int] = {}
    if request.min_id is not None:
        newer = query.where(key > request.min_id).order_by(key.asc()).limit(PAGE_SIZE + 1)
        rows = list((await session.exec(newer)).all())
        more_newer, more_older = len(rows) > PAGE_SIZE, True
        rows = rows[:PAGE_SIZE][::-1]
        params["min_id"] = request.min_id
    else:
        if request.max_id is not None:
            query = query.where(key < request.max_id)
            params["max_id"] = request.max_id
        rows = list((await session.exec(query.order_by(key.desc()).limit(PAGE_SIZE + 1))).all())
        more_older, more_newer = len(rows) > PAGE_SIZE, request.max_id is not None
        rows = rows[:PAGE_SIZE]
    ids = [key_of(row) for row in rows]
    doc: dict[str, Any] = {
        "@context": canonical_context(),
        "id": _url(base, **params),
        "type": "OrderedCollectionPage",
        "partOf": base,
        "orderedItems": await render(rows),
    }
    if rows and more_older:
        doc["next"] = _url(base, max_id=ids[-1])
    if rows and more_newer:
        doc["prev"] = _url(base, min_id=ids[0])
    return doc


async def _count(session: AsyncSession, query: Any) -> int:
    return int((await session.exec(select(func.count()).select_from(query.subquery()))).one())


async def outbox(
    session: AsyncSession, actor: Actor, request: PageRequest, config: NodeConfig
) -> dict[str, Any]:
    query = select(Activity).where(Activity.actor_id == actor.id, col(Activity.public))
    base = actor.outbox_url or f"{actor.ap_id}/outbox"
    if not request.page:
        return collection(base, await _count(session, query))
    view = ActivityView(session, config, None)

    async def render(rows: Sequence[Activity]) -> list[Any]:
        return await view.render_all([a.body for a in rows])

    return await _page(session, base, query, col(Activity.id), request, render, lambda a: int(a.id))


async def inbox_page(
    session: AsyncSession, actor: Actor, request: PageRequest, config: NodeConfig
) -> dict[str, Any]:
    """What ``actor`` received, newest first (its owner's view; never public)."""
    query = (
        select(MailboxEntry, InboxItem)
        .join(InboxItem, MailboxEntry.inbox_item_id == InboxItem.id)  # type: ignore[arg-type]
        .where(MailboxEntry.owner_id == actor.id)
    )
    base = actor.inbox_url
    if not request.page:
        return collection(
            base,
            await _count(session, select(MailboxEntry).where(MailboxEntry.owner_id == actor.id)),
        )
    view = ActivityView(session, config, actor)

    async def render(rows: Sequence[Any]) -> list[Any]:
        return await view.render_all([row[1].body for row in rows])

    return await _page(
        session, base, query, col(MailboxEntry.id), request, render, lambda row: int(row[0].id)
    )


async def _ids(rows: Sequence[Any]) -> list[Any]:
    return [row[1] for row in rows]


async def _follow_collection(
    session: AsyncSession, base: str, actor: Actor, request: PageRequest, *, followers: bool
) -> dict[str, Any]:
    mine = Follow.followee_id if followers else Follow.follower_id
    other = Follow.follower_id if followers else Follow.followee_id
    query = (
        select(Follow.id, Actor.ap_id)
        .join(Actor, other == Actor.id)  # type: ignore[arg-type]
        .where(mine == actor.id, Follow.state == FollowState.ACCEPTED)
    )
    if not request.page:
        return collection(base, await _count(session, query))
    return await _page(session, base, query, col(Follow.id), request, _ids, lambda row: int(row[0]))


async def followers(session: AsyncSession, actor: Actor, request: PageRequest) -> dict[str, Any]:
    base = actor.followers_url or f"{actor.ap_id}/followers"
    return await _follow_collection(session, base, actor, request, followers=True)


async def following(session: AsyncSession, actor: Actor, request: PageRequest) -> dict[str, Any]:
    base = actor.following_url or f"{actor.ap_id}/following"
    return await _follow_collection(session, base, actor, request, followers=False)


async def featured(session: AsyncSession, actor: Actor, node: NodeConfig) -> dict[str, Any]:
    """Pinned posts, embedded whole (Mastodon reads them so); only posts anyone may read."""
    rows = await session.exec(
        select(ContentObject)
        .join(Featured, col(Featured.object_ap_id) == ContentObject.ap_id)
        .where(
            Featured.actor_id == actor.id,
            ContentObject.author_id == actor.id,
            col(ContentObject.visibility).in_(list(OPEN_VISIBILITIES)),
            col(ContentObject.deleted_at).is_(None),
        )
        .order_by(col(Featured.id).desc())
        .limit(PAGE_SIZE * 5)
    )
    items = [_without_context(object_to_as2(obj, actor, node)) for obj in rows.all()]
    return {
        "@context": canonical_context(),
        "id": actor.featured_url or f"{actor.ap_id}/collections/featured",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
