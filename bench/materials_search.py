"""Library search benchmark: 100,000 materials, 1,000 mixed searches, on SQLite and PostgreSQL.

Over a fresh migrated database it generates ``--count`` materials (half
Russian, half English; titles and descriptions built from a teacher's
vocabulary, so words repeat as they do in a real library), spread over the
30 subjects and 11 grades (one or two of each per material), ten types, six
licenses, twenty nodes and a tenth followers-only, and indexes them the way
the node does (:func:`content.materials.search.index`'s statements, in
bulk). Then, in process, through :func:`content.materials.library.find`
(the query the API runs), it times:

* ``--searches`` mixed searches: a third words only (one to three words in
  either language), a third filters only (subject, grade, type, license,
  language, node; one to three of them), a third both; sorts newest,
  rating and downloads in turn; a third as a signed-in viewer who follows
  authors (the visibility part of the query), the rest anonymous;
* the library's first page (anonymous, newest), as many times.

and prints p50/p95/p99 in milliseconds for each, against the target of a
p95 under 50 ms. Generation is not timed.

    .venv/bin/python -m bench.materials_search [--count 100000] [--searches 1000]
                                               [--backend sqlite|postgres|both]

On a machine shared with others' test runs the figures move by a third or
more from run to run; the run prints the load average it started under.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvloop
from sqlalchemy import insert, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.materials import library, search
from content.materials.library import LibraryQuery
from content.materials.vocabulary import GRADES, LICENSES, MATERIAL_TYPES, SUBJECTS
from staffroom.settings import normalize_database_url
from storage import migrate
from storage.engine import create_engine, create_sessionmaker
from storage.ids import new_id
from storage.models import (
    Actor,
    ContentObject,
    Follow,
    FollowState,
    Material,
    MaterialGrade,
    MaterialSubject,
)
from tests.support.databases import POSTGRES_ENV, drop_database, new_database_url

NODES = 20
AUTHORS_PER_NODE = 25
CHUNK = 2_000

RU = [
    "урок",
    "конспект",
    "презентация",
    "задание",
    "контрольная",
    "работа",
    "проект",
    "ученики",
    "класс",
    "тема",
    "повторение",
    "закрепление",
    "материала",
    "практическая",
    "лабораторная",
    "опыт",
    "наблюдение",
    "природа",
    "растения",
    "животные",
    "клетка",
    "фотосинтез",
    "листья",
    "корни",
    "дроби",
    "уравнения",
    "функции",
    "график",
    "теорема",
    "треугольник",
    "окружность",
    "история",
    "война",
    "реформа",
    "культура",
    "литература",
    "поэзия",
    "роман",
    "герой",
    "сочинение",
    "диктант",
    "орфография",
    "пунктуация",
    "словарь",
    "грамматика",
    "чтение",
    "музыка",
    "рисунок",
    "спорт",
    "здоровье",
    "безопасность",
    "экология",
    "вода",
    "воздух",
    "энергия",
    "сила",
    "движение",
    "скорость",
    "масса",
    "химия",
    "реакция",
    "кислоты",
    "металлы",
    "карта",
    "страна",
    "город",
    "река",
]
EN = [
    "lesson",
    "plan",
    "worksheet",
    "presentation",
    "quiz",
    "test",
    "project",
    "pupils",
    "class",
    "topic",
    "review",
    "practice",
    "experiment",
    "observation",
    "nature",
    "plants",
    "animals",
    "cell",
    "photosynthesis",
    "leaves",
    "roots",
    "fractions",
    "equations",
    "functions",
    "graph",
    "theorem",
    "triangle",
    "circle",
    "history",
    "war",
    "reform",
    "culture",
    "literature",
    "poetry",
    "novel",
    "hero",
    "essay",
    "dictation",
    "spelling",
    "grammar",
    "reading",
    "music",
    "drawing",
    "sport",
    "health",
    "safety",
    "ecology",
    "water",
    "air",
    "energy",
    "force",
    "motion",
    "speed",
    "mass",
    "chemistry",
    "reaction",
    "acids",
    "metals",
    "map",
    "country",
    "city",
    "river",
    "vocabulary",
]


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20
    ascending: bool = False


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choice(words) for _ in range(n))


def _authors(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for node in range(NODES):
        domain = "school.example" if node == 0 else f"school{node}.example"
        for n in range(AUTHORS_PER_NODE):
            name = f"t{node}_{n}"
            rows.append(
                {
                    "id": new_id(),
                    "ap_id": f"https://{domain}/users/{name}",
                    "type": "Person",
                    "local": node == 0,
                    "local_username": name if node == 0 else None,
                    "username": name,
                    "domain": domain,
                    "display_name": name,
                    "summary": "",
                    "inbox_url": f"https://{domain}/users/{name}/inbox",
                    "manually_approves_followers": False,
                    "discoverable": True,
                    "fields": [],
                    "published": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                    "gone": False,
                }
            )
    return rows


async def generate(session: AsyncSession, count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Insert ``count`` materials in bulk; returns the authors."""
    rng = random.Random(seed)
    authors = _authors(rng)
    await (await session.connection()).execute(insert(Actor), authors)
    subjects, grades = list(SUBJECTS), list(GRADES)
    types, licenses = list(MATERIAL_TYPES), list(LICENSES)
    dialect = session.get_bind().dialect.name
    start = datetime.now(UTC) - timedelta(days=800)
    for first in range(0, count, CHUNK):
        objects, materials, subject_rows, grade_rows, docs = [], [], [], [], []
        for n in range(first, min(count, first + CHUNK)):
            author = rng.choice(authors)
            russian = n % 2 == 0
            words = RU if russian else EN
            title = _sentence(rng, words, rng.randint(3, 7)).capitalize()
            description = ". ".join(_sentence(rng, words, rng.randint(6, 14)) for _ in range(4))
            object_id = new_id()
            when = start + timedelta(minutes=n * 11)
            visibility = "followers" if rng.random() < 0.1 else "public"
            objects.append(
                {
                    "id": object_id,
                    "ap_id": f"{author['ap_id']}/statuses/{object_id}",
                    "type": "Article",
                    "author_id": author["id"],
                    "local": author["local"],
                    "visibility": visibility,
                    "content": "",
                    "sensitive": False,
                    "to": [],
                    "cc": [],
                    "tags": [],
                    "attachments": [],
                    "extra": {},
                    "replies_count": 0,
                    "likes_count": 0,
                    "announces_count": 0,
                    "published": when,
                }
            )
            rated = rng.random() < 0.4
            material = {
                "object_id": object_id, "author_id": author["id"], "local": author["local"],
                "domain": author["domain"], "visibility": visibility, "title": title,
                "summary": description[:300], "description_html": f"<p>{description}</p>",
                "material_type": rng.choice(types), "license": rng.choice(licenses),
                "language": "ru" if russian else "en", "tags": [], "published": when,
                "rating_count": rng.randint(1, 30) if rated else 0, "rating_sum": 0,
                "rating_average": round(rng.uniform(1, 5), 2) if rated else None,
                "downloads_count": int(rng.expovariate(1 / 40)),
            }  # fmt: skip
            materials.append(material)
            for code in rng.sample(subjects, rng.randint(1, 2)):
                subject_rows.append({"material_id": object_id, "code": code})
            for code in rng.sample(grades, rng.randint(1, 2)):
                grade_rows.append({"material_id": object_id, "code": code})
            docs.append((object_id, title, f"{material['summary']} {description}"))
        connection = await session.connection()
        await connection.execute(insert(ContentObject), objects)  # executemany: no bind limit
        await connection.execute(insert(Material), materials)
        await connection.execute(insert(MaterialSubject), subject_rows)
        await connection.execute(insert(MaterialGrade), grade_rows)
        codes: dict[Any, list[tuple[str, Any]]] = {}
        for facet, rows in (("subject", subject_rows), ("grade", grade_rows)):
            for row in rows:
                codes.setdefault(row["material_id"], []).append((facet, row["code"]))
        facets = [" ".join(_facets(m, codes[m["object_id"]])) for m in materials]
        if dialect == "sqlite":
            await connection.execute(
                text(search.SQLITE_INSERT),
                [search.sqlite_row(i, t, b, f) for (i, t, b), f in zip(docs, facets, strict=True)],
            )
        else:
            await connection.execute(
                text(search.POSTGRES_INSERT),
                [
                    {"id": i, "title": t, "body": b, "facets": f}
                    for (i, t, b), f in zip(docs, facets, strict=True)
                ],
            )
        await session.commit()
    if dialect == "postgresql":
        connection = await session.connection()
        for table in ("materials", "material_subjects", "material_grades", "material_search"):
            await connection.execute(text(f"ANALYZE {table}"))
        await session.commit()
    return authors


def _facets(material: dict[str, Any], codes: list[tuple[str, Any]]) -> list[str]:
    """The facet tokens :func:`content.materials.search.facet_tokens` would write."""
    pairs = [*codes]
    pairs += [
        ("material_type", material["material_type"]),
        ("license", material["license"]),
        ("language", material["language"]),
        ("node", material["domain"]),
    ]
    return [search.facet_token(name, value) for name, value in pairs] + [
        search.facet_token("visibility", material["visibility"])
    ]


def _query(rng: random.Random, authors: list[dict[str, Any]], n: int) -> LibraryQuery:
    kind = n % 3
    words = " ".join(rng.choice(rng.choice((RU, EN))) for _ in range(rng.randint(1, 3)))
    filters: dict[str, Any] = {}
    if kind != 0:
        options: list[tuple[str, Callable[[], Any]]] = [
            ("subject", lambda: rng.choice(list(SUBJECTS))),
            ("grade", lambda: rng.choice(list(GRADES))),
            ("material_type", lambda: rng.choice(list(MATERIAL_TYPES))),
            ("license", lambda: rng.choice(list(LICENSES))),
            ("language", lambda: rng.choice(("ru", "en"))),
            ("node", lambda: rng.choice(authors)["domain"]),
        ]
        for name, value in rng.sample(options, rng.randint(1, 3)):
            filters[name] = value()
    sort = ("newest", "rating", "downloads")[n % 7 % 3]
    return LibraryQuery(q=words if kind != 1 else None, sort=sort, **filters)


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100)
    return f"p50 {q[49]:6.1f} ms   p95 {q[94]:6.1f} ms   p99 {q[98]:6.1f} ms"


async def _kept_authors(session: AsyncSession) -> list[dict[str, Any]]:
    """The authors of a library generated by an earlier run (``--keep``)."""
    rows = await session.exec(select(Actor).order_by(col(Actor.id)))
    return [{"id": a.id, "domain": a.domain} for a in rows.all()]


async def run(url: str, count: int, searches: int, *, reuse: bool = False) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        sessions = create_sessionmaker(engine)
        started = time.perf_counter()
        async with sessions() as session:
            authors = await (_kept_authors(session) if reuse else generate(session, count))
        generated = time.perf_counter() - started
        rng = random.Random(11)
        async with sessions() as session:
            viewer = await session.get(Actor, authors[0]["id"])
            assert viewer is not None and viewer.id is not None
            followees = rng.sample(authors, 40)
            for followee in followees if not reuse else []:
                session.add(
                    Follow(
                        follower_id=viewer.id,
                        followee_id=followee["id"],
                        activity_ap_id=f"f{followee['id']}",
                        state=FollowState.ACCEPTED,
                    )
                )
            await session.commit()
        search.stems("урок lesson")  # loads the stemmers, as a serving node's first search does
        mixed, first_page, hits = [], [], 0
        by_kind: dict[str, list[float]] = {}
        async with sessions() as session:
            for n in range(searches):
                query = _query(rng, authors, n)
                who = viewer if n % 3 == 2 else None
                t0 = time.perf_counter()
                found = await library.find(session, who, query, Page(), offset=0)
                elapsed = (time.perf_counter() - t0) * 1000
                mixed.append(elapsed)
                kind = ("words", "filters", "both")[n % 3] + f"/{query.sort}"
                by_kind.setdefault(kind, []).append(elapsed)
                hits += bool(found)
            for _ in range(searches):
                t0 = time.perf_counter()
                await library.find(session, None, LibraryQuery(), Page())
                first_page.append((time.perf_counter() - t0) * 1000)
        return {
            "generated": generated,
            "mixed": mixed,
            "first": first_page,
            "hits": hits,
            "by_kind": by_kind,
        }
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--keep",
        type=Path,
        help="SQLite only: keep the generated library in this file, and reuse it when it exists "
        "(to compare query changes over the same data)",
    )
    args = parser.parse_args()
    if args.keep is not None:
        reuse = args.keep.exists()
        url = normalize_database_url(f"sqlite:///{args.keep.resolve()}")
        print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        _report("sqlite", args, uvloop.run(run(url, args.count, args.searches, reuse=reuse)))
        return
    kinds = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in kinds and not os.environ.get(POSTGRES_ENV):
        os.environ[POSTGRES_ENV] = "postgresql://postgres@127.0.0.1:5432/test"
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            raw_url = new_database_url(kind, Path(tmp))
            try:
                result = uvloop.run(run(normalize_database_url(raw_url), args.count, args.searches))
            finally:
                drop_database(raw_url)
        _report(kind, args, result)


def _report(kind: str, args: argparse.Namespace, result: dict[str, Any]) -> None:
    mixed_p95 = statistics.quantiles(sorted(result["mixed"]), n=100)[94]
    first_p95 = statistics.quantiles(sorted(result["first"]), n=100)[94]
    verdict = "within" if max(mixed_p95, first_p95) < 50 else "OVER"
    print(
        f"{kind}: {args.count} materials generated in {result['generated']:.0f} s; "
        f"{result['hits']}/{args.searches} searches found something"
    )
    print(f"  mixed searches:   {_percentiles(result['mixed'])}")
    print(f"  first page:       {_percentiles(result['first'])}")
    for name, samples in sorted(result["by_kind"].items()):
        if len(samples) >= 10:
            print(f"    {name:18s} {_percentiles(samples)}")
    print(f"  target p95 < 50 ms: {verdict}")


if __name__ == "__main__":
    main()
