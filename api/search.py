"""Search: accounts, statuses and hashtags, and resolving remote accounts and posts.

Nothing private leaks through search. Statuses are matched in SQL and then
each one passes :func:`content.visibility.may_read` for the searcher, so a
followers-only or direct post is found only by someone who could already read
it. Hashtags are collected only from public and unlisted posts, so even a
tag name used only in a private post stays unseen. A post fetched by
``resolve`` is checked the same way before it is returned.

Resolving goes to the network (WebFinger, then the actor or object document)
and therefore runs in its own session *before* the search session writes
anything (see :mod:`content.objects` on SQLite and long transactions).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from sqlalchemy import String, cast, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.minors import is_student
from api.account_queries import search_accounts
from content.moderation.state import is_suspended
from content.resolve import is_url, looks_like_handle, resolve_account, resolve_url
from content.visibility import OPEN_VISIBILITIES, may_read
from storage.models import Actor, ContentObject

log = logging.getLogger(__name__)

MAX_SCANNED = 1_000


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_statuses(
    session: AsyncSession,
    viewer: Actor,
    query: str,
    *,
    limit: int,
    offset: int = 0,
    account_id: int | None = None,
) -> list[ContentObject]:
    """Live posts whose text contains ``query`` that ``viewer`` may read, newest first."""
    pattern = _like(query.lower())
    base = select(ContentObject).where(
        col(ContentObject.deleted_at).is_(None),
        or_(
            func.lower(ContentObject.content).like(pattern, escape="\\"),
            func.lower(func.coalesce(ContentObject.summary, "")).like(pattern, escape="\\"),
            func.lower(func.coalesce(ContentObject.name, "")).like(pattern, escape="\\"),
        ),
    )
    if account_id is not None:
        base = base.where(ContentObject.author_id == account_id)
    found: list[ContentObject] = []
    skipped = 0
    scanned = 0
    cursor: int | None = None
    authors: dict[int, Actor | None] = {}
    while len(found) < limit and scanned < MAX_SCANNED:
        query_page = base if cursor is None else base.where(col(ContentObject.id) < cursor)
        batch = (
            await session.exec(query_page.order_by(col(ContentObject.id).desc()).limit(100))
        ).all()
        for obj in batch:
            scanned += 1
            cursor = obj.id
            if obj.author_id not in authors:
                authors[obj.author_id] = await session.get(Actor, obj.author_id)
            author = authors[obj.author_id]
            if author is None or not await may_read(session, obj, author, viewer):
                continue
            if skipped < offset:
                skipped += 1
                continue
            found.append(obj)
            if len(found) >= limit:
                break
        if len(batch) < 100:
            break
    return found


async def search_hashtags(
    session: AsyncSession, query: str, *, limit: int, offset: int = 0
) -> list[str]:
    """Hashtag names starting with ``query`` used in public or unlisted posts."""
    wanted = query.strip().lstrip("#").lower()
    if not wanted:
        return []
    # The JSON column as text; a non-ASCII tag is stored \\u-escaped, so match both forms.
    escaped = json.dumps(wanted)[1:-1]
    as_text = func.lower(cast(ContentObject.tags, String))
    rows = await session.exec(
        select(ContentObject.tags)
        .where(
            col(ContentObject.deleted_at).is_(None),
            col(ContentObject.visibility).in_(list(OPEN_VISIBILITIES)),
            or_(
                as_text.like(_like(wanted), escape="\\"),
                as_text.like(_like(escaped.lower()), escape="\\"),
            ),
        )
        .order_by(col(ContentObject.id).desc())
        .limit(MAX_SCANNED)
    )
    names: dict[str, str] = {}  # lower-cased → as first written
    for tags in rows.all():
        for tag in tags:
            if not isinstance(tag, dict) or tag.get("type") != "Hashtag":
                continue
            name = str(tag.get("name", "")).lstrip("#")
            if name.lower().startswith(wanted):
                names.setdefault(name.lower(), name)
    ordered = sorted(names.values(), key=lambda n: (n.lower() != wanted, len(n), n.lower()))
    return ordered[offset : offset + limit]


@dataclass(frozen=True)
class SearchQuery:
    text: str
    kinds: frozenset[str]
    limit: int = 20
    offset: int = 0
    resolve: bool = False
    following: bool = False
    account_id: int | None = None


@dataclass
class SearchResults:
    actors: list[Actor] = field(default_factory=list)
    posts: list[ContentObject] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)


async def _resolve(node: NodeContext, query: SearchQuery) -> Actor | ContentObject | None:
    if not (query.resolve and query.text and query.offset == 0):
        return None
    if is_url(query.text):
        return await resolve_url(node, query.text)
    if "accounts" in query.kinds and looks_like_handle(query.text):
        return await resolve_account(node, query.text)
    return None


async def hidden_from_search(session: AsyncSession, actor: Actor) -> bool:
    """A suspended account, and a student (unless it is the viewer's own
    school finding them through the admin API), are never a search result."""
    return await is_suspended(session, actor.id) or await is_student(session, actor)


async def run_search(node: NodeContext, viewer: Actor | None, query: SearchQuery) -> SearchResults:
    """Everything ``/api/v2/search`` answers; statuses only for a logged-in viewer."""
    results = SearchResults()
    if not query.text:
        return results
    resolved = await _resolve(node, query)
    by_url = is_url(query.text)
    async with node.sessions() as session:
        if isinstance(resolved, Actor):
            if not await hidden_from_search(session, resolved):
                results.actors.append(resolved)
        elif isinstance(resolved, ContentObject):
            author = await session.get(Actor, resolved.author_id)
            if author is not None and await may_read(session, resolved, author, viewer):
                results.posts.append(resolved)
        if by_url:
            return results
        if "accounts" in query.kinds:
            found = await search_accounts(
                session,
                query.text,
                limit=query.limit,
                offset=query.offset,
                following_of=viewer if query.following else None,
            )
            known = {a.id for a in results.actors}
            results.actors.extend(a for a in found if a.id not in known)
        if "statuses" in query.kinds and viewer is not None:
            posts = await search_statuses(
                session,
                viewer,
                query.text,
                limit=query.limit,
                offset=query.offset,
                account_id=query.account_id,
            )
            seen = {p.id for p in results.posts}
            results.posts.extend(p for p in posts if p.id not in seen)
        if "hashtags" in query.kinds:
            results.hashtags = await search_hashtags(
                session, query.text, limit=query.limit, offset=query.offset
            )
    results.actors = results.actors[: query.limit]
    results.posts = results.posts[: query.limit]
    return results
