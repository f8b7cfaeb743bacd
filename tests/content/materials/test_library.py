"""content.materials.library and .search on both backends, and the rating rules.

The library finds by stemmed words (Russian and English), filters by codes
and node, sorts three ways, and never shows a stranger a followers-only or
unlisted material, nor anything by an author who blocks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from content.materials import library, search
from content.materials.library import LibraryQuery
from content.materials.ratings import RatingError, average, check_rating, next_due
from storage.engine import SessionMaker
from storage.ids import new_id
from storage.models import (
    Actor,
    Block,
    ContentObject,
    Follow,
    FollowState,
    Material,
    MaterialGrade,
    MaterialSubject,
    Visibility,
)


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20
    ascending: bool = False


def _actor(name: str, domain: str = "school.example") -> Actor:
    return Actor(
        id=new_id(),
        ap_id=f"https://{domain}/users/{name}",
        username=name,
        domain=domain,
        inbox_url=f"https://{domain}/users/{name}/inbox",
        local=domain == "school.example",
    )


async def _material(
    session: AsyncSession,
    author: Actor,
    title: str,
    text: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    subjects: tuple[str, ...] = (),
    grades: tuple[str, ...] = (),
    rating: float | None = None,
    downloads: int = 0,
) -> Material:
    assert author.id is not None
    object_id = new_id()
    session.add(
        ContentObject(
            id=object_id, ap_id=f"{author.ap_id}/statuses/{object_id}", author_id=author.id
        )
    )
    await session.flush()
    material = Material(
        object_id=object_id, author_id=author.id, local=author.local, domain=author.domain,
        visibility=visibility, title=title, summary=text, material_type="lesson_plan",
        license="CC-BY-4.0", rating_average=rating, downloads_count=downloads,
    )  # fmt: skip
    session.add(material)
    session.add_all(MaterialSubject(material_id=object_id, code=c) for c in subjects)
    session.add_all(MaterialGrade(material_id=object_id, code=c) for c in grades)
    await session.flush()
    await search.index(session, material, text)
    return material


async def _titles(session: AsyncSession, viewer: Actor | None, **query: object) -> list[str]:
    found = await library.find(session, viewer, LibraryQuery(**query), Page())  # type: ignore[arg-type]
    return [m.title for m in found]


async def test_words_codes_sorts_and_nodes(sessions: SessionMaker) -> None:
    async with sessions() as session:
        alice, remote = _actor("alice"), _actor("ivan", "lyceum.example")
        session.add_all([alice, remote])
        await session.flush()
        await _material(
            session,
            alice,
            "Leaves",
            "How chlorophyll catches light",
            subjects=("biology",),
            grades=("6",),
            rating=4.0,
            downloads=3,
        )
        await _material(
            session,
            remote,
            "Листья",
            "Урок о листьях и фотосинтезе",  # noqa: RUF001
            subjects=("biology",),
            grades=("7",),
            rating=5.0,
        )
        await _material(
            session,
            alice,
            "Acids",
            "Titration lessons",
            subjects=("chemistry",),
            grades=("8",),
            downloads=9,
        )
        await session.commit()
        assert await _titles(session, None, q="catching") == ["Leaves"]
        assert await _titles(session, None, q="лист") == ["Листья"]
        assert await _titles(session, None, q="листья фотосинтез") == ["Листья"]
        assert await _titles(session, None, q="lesson titrations") == ["Acids"]
        assert await _titles(session, None, q="chlorophyll titration") == []
        assert await _titles(session, None, q="!!!") == []
        assert await _titles(session, None, subject="biology") == ["Листья", "Leaves"]
        assert await _titles(session, None, subject="biology", grade="6") == ["Leaves"]
        assert await _titles(session, None, node="lyceum.example") == ["Листья"]
        assert await _titles(session, None, sort="rating") == ["Листья", "Leaves", "Acids"]
        assert await _titles(session, None, sort="downloads") == ["Acids", "Leaves", "Листья"]


async def test_what_a_viewer_may_find(sessions: SessionMaker) -> None:
    async with sessions() as session:
        alice, bob, carol = _actor("alice"), _actor("bob"), _actor("carol")
        session.add_all([alice, bob, carol])
        await session.flush()
        await _material(session, alice, "Open", "open")
        await _material(session, alice, "Quiet", "quiet", visibility=Visibility.UNLISTED)
        await _material(session, alice, "Followers", "followers", visibility=Visibility.FOLLOWERS)
        await _material(session, alice, "Direct", "direct", visibility=Visibility.DIRECT)
        assert bob.id is not None and alice.id is not None and carol.id is not None
        session.add(
            Follow(
                follower_id=bob.id,
                followee_id=alice.id,
                activity_ap_id="f",
                state=FollowState.ACCEPTED,
            )
        )
        session.add(Block(actor_id=alice.id, target_id=carol.id, activity_ap_id="b"))
        await session.commit()
        assert await _titles(session, None) == ["Open"]
        assert await _titles(session, bob) == ["Followers", "Open"]
        assert await _titles(session, alice) == ["Direct", "Followers", "Quiet", "Open"]
        assert await _titles(session, carol) == []  # alice blocks carol
        assert await _titles(session, None, q="followers") == []


async def test_word_pages_walk_the_index_newest_first(
    sessions: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "WALK_SLICE", 2)
    monkeypatch.setattr(library, "WALK_SLICES", 2)  # then the one-query form finishes
    async with sessions() as session:
        alice = _actor("alice")
        session.add(alice)
        await session.flush()
        for n in range(9):
            await _material(
                session,
                alice,
                f"m{n}",
                "fractions",
                subjects=("algebra",) if n % 3 == 0 else ("geometry",),
            )
        await session.commit()
        assert await _titles(session, None, q="fractions", subject="algebra") == ["m6", "m3", "m0"]
        first = await library.find(session, None, LibraryQuery(q="fraction"), Page(limit=4))
        assert [m.title for m in first] == ["m8", "m7", "m6", "m5"]
        rest = await library.find(
            session, None, LibraryQuery(q="fraction"), Page(max_id=first[-1].object_id, limit=4)
        )
        assert [m.title for m in rest] == ["m4", "m3", "m2", "m1"]


def test_rating_rules() -> None:
    assert [check_rating(v) for v in (1, 5)] == [1, 5]
    for bad in (0, 6, -1, 4.5, "4", True, None):
        try:
            check_rating(bad)
        except RatingError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    assert average(9, 2) == 4.5 and average(0, 0) is None
    now, window = datetime(2026, 1, 1, tzinfo=UTC), timedelta(seconds=30)
    first = next_due(None, now, window)
    assert first == now + window
    assert next_due(first, now + timedelta(seconds=20), window) == first  # a burst waits together


def test_facet_tokens_are_one_distinct_token_per_code() -> None:
    from content.materials.vocabulary import GRADES, LICENSES, MATERIAL_TYPES, SUBJECTS

    for facet, codes in (
        ("subject", SUBJECTS),
        ("grade", GRADES),
        ("material_type", MATERIAL_TYPES),
        ("license", LICENSES),
    ):
        tokens = [search.facet_token(facet, code) for code in codes]
        assert len(set(tokens)) == len(tokens), facet
        # One token each for both tokenizers (FTS5's unicode61, PostgreSQL's simple).
        assert all(search.words(token) == [token] for token in tokens)


async def test_filters_narrow_in_the_index_and_follow_an_edit(sessions: SessionMaker) -> None:
    """Filters go to the full-text index; an edit rewrites the entry, so a material
    made followers-only leaves the anonymous library and a new grade finds it."""
    async with sessions() as session:
        alice = _actor("alice")
        session.add(alice)
        await session.flush()
        leaves = await _material(
            session, alice, "Leaves", "photosynthesis", subjects=("biology",), grades=("6",)
        )
        await _material(
            session, alice, "Acids", "titration", subjects=("chemistry",), grades=("8",)
        )
        await session.commit()
        assert await _titles(session, None, subject="biology", grade="6") == ["Leaves"]
        assert await _titles(session, None, subject="biology", grade="8") == []
        assert await _titles(session, None, grade="8", sort="rating") == ["Acids"]

        session.add(MaterialGrade(material_id=leaves.object_id, code="7"))
        leaves.visibility = Visibility.FOLLOWERS
        session.add(leaves)
        await session.flush()
        await search.index(session, leaves, "photosynthesis")
        await session.commit()
        assert await _titles(session, None, subject="biology") == []
        assert await _titles(session, alice, grade="7") == ["Leaves"]
        assert await _titles(session, alice, grade="7", sort="downloads") == ["Leaves"]


async def test_sorted_pages_merge_the_public_and_private_halves(
    sessions: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sorted by rating or downloads, a signed-in viewer's page merges the public walk
    with their private half (own, followees' followers-only), page after page, and the
    many-matches walk answers exactly what reading few matches by id answers."""
    async with sessions() as session:
        bob, alice, carol = _actor("bob"), _actor("alice"), _actor("carol")
        session.add_all([bob, alice, carol])
        await session.flush()
        assert bob.id is not None and alice.id is not None
        session.add(
            Follow(
                follower_id=bob.id, followee_id=alice.id, activity_ap_id="f",
                state=FollowState.ACCEPTED,
            )
        )  # fmt: skip
        kinds = [
            (alice, Visibility.PUBLIC),
            (alice, Visibility.FOLLOWERS),
            (carol, Visibility.FOLLOWERS),  # bob does not follow carol
            (bob, Visibility.DIRECT),  # his own
            (carol, Visibility.PUBLIC),
        ]
        for n in range(15):
            author, visibility = kinds[n % len(kinds)]
            await _material(
                session, author, f"m{n:02d}", "fractions" if n % 2 else "decimals",
                visibility=visibility, grades=("5",) if n % 3 else ("6",),
                rating=None if n % 4 == 0 else float(n % 5), downloads=(n * 7) % 11,
            )  # fmt: skip
        await session.commit()

        async def pages(query: LibraryQuery, size: int) -> list[str]:
            titles: list[str] = []
            for offset in range(0, 15, size):
                found = await library.find(session, bob, query, Page(limit=size), offset)
                titles += [m.title for m in found]
            return titles

        queries = [
            LibraryQuery(sort=sort, **filters)  # type: ignore[arg-type]
            for sort in ("rating", "downloads")
            for filters in ({}, {"q": "fractions"}, {"grade": "5"}, {"q": "decimals", "grade": "6"})
        ]
        few = {q: await pages(q, 4) for q in queries}
        monkeypatch.setattr(library, "FEW", 0)  # every query takes the walk now
        for query in queries:
            assert await pages(query, 4) == few[query], query
            assert await pages(query, 3) == few[query], query
        assert "m02" not in few[queries[0]] and "m01" in few[queries[0]]
        everything = few[LibraryQuery(sort="downloads")]
        assert len(everything) == 12  # all but carol's followers-only three
        rows = await library.find(session, bob, LibraryQuery(sort="downloads"), Page(limit=15))
        assert [m.downloads_count for m in rows] == sorted(
            (m.downloads_count for m in rows), reverse=True
        )
