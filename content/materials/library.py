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

Words and filters go to the full-text index first (it carries a token per
facet value, see :mod:`content.materials.search`), which intersects them
cheaply; SQL then checks every condition on the rows the index returns,
through the primary key (``EXISTS`` for subjects and grades, a probe each).

Newest on SQLite: a common word matches a large part of the library, and an
``IN (matching ids)`` would build that whole set for every page. FTS5 reads
its matches newest first by itself, so :func:`_fts_walk` takes them a slice
at a time and keeps those that pass the other conditions, stopping when the
page is full (after :data:`WALK_SLICES` slices it lets the one-query form
finish the page); with the facets in the index, the first slice nearly
always fills it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, exists, false, or_, text
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
# The whole of what a viewer may find, or one of its two disjoint halves (see visible_to).
Part = Literal["all", "public", "private"]
WALK_SLICE = 500
FEW = 2_000
WALK_SLICES = 20
_SLICE = "{match} ORDER BY rowid DESC LIMIT :n"
_SLICE_BELOW = "{match} AND rowid < :upper ORDER BY rowid DESC LIMIT :n"
# LibraryQuery fields that are facets in the full-text index.
FACETS = ("subject", "grade", "material_type", "license", "language", "node")


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


def visible_to(viewer: Actor | None, *, by_index: bool = True, part: Part = "all") -> Any:
    """The SQL condition for "``viewer`` may find this material in the library".

    ``by_index=False`` hides the visibility column from the planner (``|| ''``):
    with a short list of ids to read, SQLite would otherwise prefer walking a
    (visibility, ...) index over reading those rows by their key.

    ``part`` splits the condition in two disjoint halves, ``"public"`` and
    ``"private"`` (everything else the viewer may see): the public half alone can
    walk a (visibility, sort key) index in order, which the ``OR`` of the whole
    condition cannot, and the private half is small (a viewer's own, their
    followees' followers-only materials, their communities').
    """
    visibility = _unindexed(col(Material.visibility), by_index)
    public = visibility == Visibility.PUBLIC
    if viewer is None or viewer.id is None:
        return public if part != "private" else false()
    blockers = select(Block.actor_id).where(Block.target_id == viewer.id)
    not_blocked = col(Material.author_id).not_in(blockers)
    if part == "public":
        return and_(public, not_blocked)
    followed = select(Follow.followee_id).where(
        Follow.follower_id == viewer.id, Follow.state == FollowState.ACCEPTED
    )
    # A members-only community's materials: for the members of a community that announced them.
    in_my_communities = select(CommunityPost.object_id).where(
        col(CommunityPost.community_id).in_(followed)
    )
    private = or_(
        col(Material.author_id) == viewer.id,
        and_(
            visibility == Visibility.FOLLOWERS,
            col(Material.author_id).in_(followed),
        ),
        and_(
            visibility == Visibility.DIRECT,
            col(Material.object_id).in_(in_my_communities),
        ),
    )
    if part == "private":
        return and_(visibility != Visibility.PUBLIC, private, not_blocked)
    return and_(or_(public, private), not_blocked)


def _unindexed(column: Any, by_index: bool) -> Any:
    """``column``, hidden from the planner when ``by_index`` is false (see :func:`visible_to`)."""
    if by_index:
        return column
    return column + 0 if column.type.python_type is int else column.concat("")


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _facet_tokens(query: LibraryQuery) -> list[str]:
    return [
        search.facet_token(name, value)
        for name in FACETS
        if (value := getattr(query, name)) is not None and value != ""
    ]


def _match(session: AsyncSession, viewer: Actor | None, query: LibraryQuery) -> search.Match | None:
    """The full-text narrowing of ``query``, or None for the whole library (no words, no
    filter: the first page walks the (visibility, id) index instead)."""
    tokens = _facet_tokens(query)
    if not (query.q and query.q.strip()) and not tokens:
        return None
    if viewer is None or viewer.id is None:
        tokens.append(search.facet_token("visibility", Visibility.PUBLIC))
    return search.match(_dialect(session), query.q, tokens)


def _filtered(
    session: AsyncSession,
    viewer: Actor | None,
    query: LibraryQuery,
    match: search.Match | None,
    *,
    by_index: bool = True,
    part: Part = "all",
) -> Any:
    """``query``'s conditions in SQL; ``match`` (the full-text narrowing) as ``IN``."""
    statement = select(Material).where(visible_to(viewer, by_index=by_index, part=part))
    if query.subject:
        statement = statement.where(
            exists().where(
                col(MaterialSubject.material_id) == col(Material.object_id),
                col(MaterialSubject.code) == query.subject,
            )
        )
    if query.grade:
        statement = statement.where(
            exists().where(
                col(MaterialGrade.material_id) == col(Material.object_id),
                col(MaterialGrade.code) == query.grade,
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
            statement = statement.where(_unindexed(col(column), by_index) == value)
    if query.community_id is not None:
        statement = statement.where(
            col(Material.object_id).in_(
                select(CommunityPost.object_id).where(
                    CommunityPost.community_id == query.community_id
                )
            )
        )
    if match is not None:
        matching = text(match.sql).bindparams(**match.params)
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
    session: AsyncSession,
    viewer: Actor | None,
    query: LibraryQuery,
    page: Paging,
    match: search.Match,
) -> list[Material]:
    others = _filtered(session, viewer, query, None)
    connection = await session.connection()
    found: list[Material] = []
    upper = page.max_id
    for _ in range(WALK_SLICES):
        sql = (_SLICE if upper is None else _SLICE_BELOW).format(match=match.sql)
        rows = await connection.execute(
            text(sql), {**match.params, "upper": upper, "n": WALK_SLICE}
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
        bounded(_filtered(session, viewer, query, match), Material.object_id, rest, rest.limit)
    )
    return found + list(rows_left.all())


async def _few_matches(session: AsyncSession, match: search.Match) -> list[int] | None:
    """The ids matching the words and facets when there are at most :data:`FEW` of
    them; None when there are more."""
    connection = await session.connection()
    rows = await connection.execute(text(f"{match.sql} LIMIT {FEW + 1}"), match.params)
    ids = [int(row[0]) for row in rows.all()]
    return ids if len(ids) <= FEW else None


_ORDER = {
    "rating": (
        col(Material.rating_average).desc().nulls_last(),
        col(Material.rating_count).desc(),
        col(Material.object_id).desc(),
    ),
    "downloads": (col(Material.downloads_count).desc(), col(Material.object_id).desc()),
}


def _sort_key(sort: str) -> Any:
    """The Python twin of ``_ORDER[sort]``, to merge pages sorted by SQL."""
    if sort == "rating":
        return lambda m: (
            m.rating_average is None,
            -(m.rating_average or 0.0),
            -m.rating_count,
            -m.object_id,
        )
    return lambda m: (-m.downloads_count, -m.object_id)


async def _sorted(
    session: AsyncSession, viewer: Actor | None, query: LibraryQuery, offset: int, limit: int
) -> list[Material]:
    """A page sorted by rating or downloads.

    Few matches (words and facets narrow to at most :data:`FEW`): read them by id
    and sort them. Many: walk the (visibility, sort key) index in order, stopping
    at the page's end; a dense set fills a page within a few hundred entries.
    Facets alone stay out of the full-text index then (building the id list of
    "language: en", half the library, cost more than the whole walk: SQL tests
    the facets on each entry); words are tested as ``IN`` the match. A signed-in
    viewer's page is the merge of the public half, walked so, and the small
    private half (the whole condition's ``OR`` would keep the planner from walking
    any index in order).
    """
    has_words = bool(query.q and query.q.strip())
    if has_words:
        match = _match(session, viewer, query)
    else:
        match = search.match(_dialect(session), None, _facet_tokens(query))
    if match is not None and (few := await _few_matches(session, match)) is not None:
        if not few:
            return []
        statement = _filtered(session, viewer, query, None, by_index=False).where(
            col(Material.object_id).in_(few)
        )
        statement = statement.order_by(*_ORDER[query.sort]).offset(offset).limit(limit)
        return list((await session.exec(statement)).all())
    words = match if has_words else None
    found: list[Material] = []
    for part in _halves(viewer):
        statement = _filtered(session, viewer, query, words, part=part)
        found.extend(await _first_in_order(session, statement, query.sort, offset + limit))
    found.sort(key=_sort_key(query.sort))
    return found[offset : offset + limit]


async def _first_in_order(
    session: AsyncSession, statement: Any, sort: str, want: int
) -> list[Material]:
    """The first ``want`` rows of ``statement`` in ``sort``'s order, read so that both
    backends walk the sort index: by rating, the rated ones first, then the unrated.
    (PostgreSQL cannot walk an index for ``DESC NULLS LAST``: backwards, a B-tree
    gives the nulls first, so the one query sorted every public material.)"""
    if sort != "rating":
        rows = await session.exec(statement.order_by(*_ORDER[sort]).limit(want))
        return list(rows.all())
    rated = statement.where(col(Material.rating_average).is_not(None)).order_by(
        col(Material.rating_average).desc(),
        col(Material.rating_count).desc(),
        col(Material.object_id).desc(),
    )
    found = list((await session.exec(rated.limit(want))).all())
    if len(found) < want:
        unrated = statement.where(col(Material.rating_average).is_(None)).order_by(
            col(Material.rating_count).desc(), col(Material.object_id).desc()
        )
        found.extend((await session.exec(unrated.limit(want - len(found)))).all())
    return found


def _halves(viewer: Actor | None) -> tuple[Part, ...]:
    return ("public", "private") if viewer is not None and viewer.id is not None else ("public",)


async def find(
    session: AsyncSession, viewer: Actor | None, query: LibraryQuery, page: Paging, offset: int = 0
) -> list[Material]:
    """One page of the library, in the query's sort order."""
    if query.sort in _ORDER:
        return await _sorted(session, viewer, query, offset, page.limit)
    match = _match(session, viewer, query)
    walkable = page.min_id is None and page.since_id is None and not page.ascending
    if match is not None and walkable and _dialect(session) == "sqlite":
        return await _fts_walk(session, viewer, query, page, match)
    statement = _filtered(session, viewer, query, match)
    has_words = bool(query.q and query.q.strip())
    if has_words and match is not None and (few := await _few_matches(session, match)) is not None:
        # Few (or no) words' matches: read them by id. Walking the id index in order
        # would test every material when nothing matches. (Facets alone are dense:
        # PostgreSQL builds the whole bitmap of "language: ru" even to count 2,001.)
        if not few:
            return []
        statement = _filtered(session, viewer, query, None, by_index=False).where(
            col(Material.object_id).in_(few)
        )
    rows = await session.exec(bounded(statement, Material.object_id, page, page.limit))
    return newest_first(list(rows.all()), page)
