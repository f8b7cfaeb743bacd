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
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvloop

from bench.databases import backends, fresh_database
from bench.materials_library import EN, RU, generate, kept_authors
from content.materials import library, search
from content.materials.library import LibraryQuery
from content.materials.vocabulary import GRADES, LICENSES, MATERIAL_TYPES, SUBJECTS
from staffroom.settings import normalize_database_url
from storage import migrate
from storage.engine import create_engine, create_sessionmaker
from storage.models import (
    Actor,
    Follow,
    FollowState,
)


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20
    ascending: bool = False


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


async def run(url: str, count: int, searches: int, *, reuse: bool = False) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        sessions = create_sessionmaker(engine)
        started = time.perf_counter()
        async with sessions() as session:
            authors = await (kept_authors(session) if reuse else generate(session, count))
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
    kinds = backends(args.backend)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for kind in kinds:
        with fresh_database(kind) as (url, _):
            result = uvloop.run(run(url, args.count, args.searches))
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
