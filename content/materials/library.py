"""The library: every material this node knows, filtered, searched and sorted for a viewer.

One SQL query per page, whatever the filters: visibility is part of the
query, not a check afterwards, so a page is never cut short and a
followers-only material is never read for a stranger. A viewer sees:

* public materials, of every node (remote ones are marked with their node);
* their own, whatever the visibility;
* followers-only materials of authors they follow (an accepted follow);

and never those of an author who blocks them. Unlisted materials stay out
of the library (as unlisted posts stay out of public timelines), and so do
direct ones.

Sorts: ``newest`` (by the material's id, which is time-sortable: when it
reached this node; paged by ``max_id``/``min_id`` like every Mastodon list),
``rating`` (average, then count) and ``downloads`` (paged by ``offset``).

Words and newest on SQLite: a common word matches a large part of the
library, and an ``IN (matching ids)`` would build that whole set for every
page. FTS5 reads its matches newest first by itself, so :func:`_fts_walk`
takes them a slice at a time and keeps those that pass the other
conditions, stopping when the page is full (after :data:`WALK_SLICES`
slices it lets the one-query form finish the page).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, false, or_, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.materials import search
from content.timelines import Paging, bounded, newest_first
from storage.models import (
    Actor,
    Block,
    CommunityPost,
    Follow,
    FollowState,
    Material,
    MaterialGrade,
    MaterialSubject,
    Visibility,
)

SORTS = ("newest", "rating", "downloads")
WALK_SLICE = 500
WALK_SLICES = 20
_SLICE = (
    "SELECT rowid FROM material_search WHERE material_search MATCH :q ORDER BY rowid DESC LIMIT :n"
)
_SLICE_BELOW = (
    "SELECT rowid FROM material_search WHERE material_search MATCH :q AND rowid < :upper "
    "ORDER BY rowid DESC LIMIT :n"
)


@dataclass(frozen=True)
class LibraryQuery:
    q: str | None = None
    subject: str | None = None
    grade: str | None = None
    material_type: str | None = None
    license: str | None = None
    language: str | None = None
    node: str | None = None
    author_id: int | None = None
    # Materials a community (its Group actor's row id) announced.
    community_id: int | None = None
    sort: str = "newest"


def visible_to(viewer: Actor | None) -> Any:
    """The SQL condition for "``viewer`` may find this material in the library"."""
    public = col(Material.visibility) == Visibility.PUBLIC
    if viewer is None or viewer.id is None:
        return public
    followed = select(Follow.followee_id).where(
        Follow.follower_id == viewer.id, Follow.state == FollowState.ACCEPTED
    )
    blockers = select(Block.actor_id).where(Block.target_id == viewer.id)
    # A members-only community's materials: for the members of a community that announced them.
    in_my_communities = select(CommunityPost.object_id).where(
        col(CommunityPost.community_id).in_(followed)
    )
    return and_(
        or_(
            public,
            col(Material.author_id) == viewer.id,
            and_(
                col(Material.visibility) == Visibility.FOLLOWERS,
                col(Material.author_id).in_(followed),
            ),
            and_(
                col(Material.visibility) == Visibility.DIRECT,
                col(Material.object_id).in_(in_my_communities),
            ),
        ),
        col(Material.author_id).not_in(blockers),
    )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _filtered(session: AsyncSession, viewer: Actor | None, query: LibraryQuery) -> Any:
    statement = select(Material).where(visible_to(viewer))
    if query.subject:
        statement = statement.where(
            col(Material.object_id).in_(
                select(MaterialSubject.material_id).where(MaterialSubject.code == query.subject)
            )
        )
    if query.grade:
        statement = statement.where(
            col(Material.object_id).in_(
                select(MaterialGrade.material_id).where(MaterialGrade.code == query.grade)
            )
        )
    for column, value in (
        (Material.material_type, query.material_type),
        (Material.license, query.license),
        (Material.language, query.language),
        (Material.domain, query.node),
        (Material.author_id, query.author_id),
    ):
        if value is not None and value != "":
            statement = statement.where(col(column) == value)
    if query.community_id is not None:
        statement = statement.where(
            col(Material.object_id).in_(
                select(CommunityPost.object_id).where(
                    CommunityPost.community_id == query.community_id
                )
            )
        )
    if query.q and query.q.strip():
        dialect = session.get_bind().dialect.name
        bound = search.query_param(dialect, query.q)
        if bound is None:
            return statement.where(false())
        matching = text(search.matching_ids_sql(dialect)).bindparams(q=bound)
        statement = statement.where(col(Material.object_id).in_(matching))
    return statement


@dataclass(frozen=True)
class _Below:
    """The window below an id (the rest of a page the walk could not fill)."""

    max_id: int | None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20
    ascending: bool = False


async def _fts_walk(
    session: AsyncSession, viewer: Actor | None, query: LibraryQuery, page: Paging
) -> list[Material]:
    match = search.fts5_query(query.q or "")
    if match is None:
        return []
    others = _filtered(session, viewer, replace(query, q=None))
    connection = await session.connection()
    found: list[Material] = []
    upper = page.max_id
    for _ in range(WALK_SLICES):
        rows = await connection.execute(
            text(_SLICE if upper is None else _SLICE_BELOW),
            {"q": match, "upper": upper, "n": WALK_SLICE},
        )
        ids = [int(r[0]) for r in rows.all()]
        if not ids:
            return found
        hits = await session.exec(
            others.where(col(Material.object_id).in_(ids))
            .order_by(col(Material.object_id).desc())
            .limit(page.limit - len(found))
        )
        found.extend(hits.all())
        if len(found) >= page.limit or len(ids) < WALK_SLICE:
            return found
        upper = ids[-1]
    rest = _Below(max_id=upper, limit=page.limit - len(found))
    rows_left = await session.exec(
        bounded(_filtered(session, viewer, query), Material.object_id, rest, rest.limit)
    )
    return found + list(rows_left.all())


async def find(
    session: AsyncSession, viewer: Actor | None, query: LibraryQuery, page: Paging, offset: int = 0
) -> list[Material]:
    """One page of the library, in the query's sort order."""
    walkable = page.min_id is None and page.since_id is None and not page.ascending
    if query.q and query.sort == "newest" and walkable and _dialect(session) == "sqlite":
        return await _fts_walk(session, viewer, query, page)
    statement = _filtered(session, viewer, query)
    if query.sort == "newest":
        rows = await session.exec(bounded(statement, Material.object_id, page, page.limit))
        return newest_first(list(rows.all()), page)
    if query.sort == "rating":
        order = [
            col(Material.rating_average).desc().nulls_last(),
            col(Material.rating_count).desc(),
            col(Material.object_id).desc(),
        ]
    else:
        order = [col(Material.downloads_count).desc(), col(Material.object_id).desc()]
    rows = await session.exec(statement.order_by(*order).offset(offset).limit(page.limit))
    return list(rows.all())
