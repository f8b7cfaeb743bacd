"""Page server time: the front page, a profile, a thread, the library and a search.

Over a fresh migrated database it generates ``--materials`` materials (the
library benchmark's generator, :func:`bench.materials_library.generate`: 500
authors on 20 nodes, the first node this one) and ``--posts`` public posts
by the same authors, a fifth of them replies (so threads exist), plus one
thread of 40 replies to open. Then it starts the node's real ASGI app in
this process (the lifespan, the routes, the templates, the database; no
workers, no network) and requests, anonymously and in turn, each page
``--requests`` times after a warm-up:

* ``/`` (communities, newest materials, upcoming events, local posts);
* ``/@NAME``, the profile of a local author with about posts/500 posts;
* ``/@NAME/ID``, the 40-reply thread;
* ``/materials``, the library's first page;
* ``/materials?q=...``, a search (one or two words, Russian or English,
  a third of them with a subject filter).

It prints p50 and p95 in milliseconds per page against the target of a
p95 under 50 ms, the SQL statements one request of each page runs (a
figure the machine's load does not move), and the load average it started
under (the times move by a third or more on a machine shared with test runs;
measure on a quiet one).

    .venv/bin/python -m bench.pages [--posts 100000] [--materials 100000]
                                    [--requests 200] [--backend sqlite|postgres]

Generation is not timed. ``--posts 2000 --materials 2000`` checks it works.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bench.materials_library import EN, RU, empty_object_columns, generate
from staffroom.app import create_app
from staffroom.settings import load_settings
from storage import migrate
from storage.engine import create_engine, create_sessionmaker
from storage.ids import new_id
from storage.models import Account, ContentObject, Role
from tests.support.databases import POSTGRES_ENV, drop_database, new_database_url
from tests.support.statements import before_each_statement

DOMAIN = "school.example"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CHUNK = 2_000
THREAD_REPLIES = 40
TARGET_P95_MS = 50.0


def _note(
    author: dict[str, Any], when: datetime, text: str, parent: dict[str, Any] | None
) -> dict[str, Any]:
    object_id = new_id()
    ap_id = f"{author['ap_id']}/statuses/{object_id}"
    return {
        "id": object_id,
        "ap_id": ap_id,
        "url": ap_id,
        "type": "Note",
        "author_id": author["id"],
        "local": author["local"],
        "visibility": "public",
        "content": f"<p>{text}</p>",
        "sensitive": False,
        "language": "ru" if text[:1] in "абвгдеёжзийклмнопрстуфхцчшщэюя" else "en",
        "in_reply_to": None if parent is None else parent["ap_id"],
        "conversation": ap_id if parent is None else parent["conversation"],
        "to": [PUBLIC],
        "cc": [f"{author['ap_id']}/followers"],
        **empty_object_columns(),
        "published": when,
    }


async def generate_posts(
    session: Any, authors: list[dict[str, Any]], count: int, seed: int = 5
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Insert ``count`` posts in bulk; returns (a thread's root, its local author)."""
    rng = random.Random(seed)
    local = [a for a in authors if a["local"]]
    start = datetime.now(UTC) - timedelta(days=400)
    recent: list[dict[str, Any]] = []
    for first in range(0, count, CHUNK):
        rows = []
        for n in range(first, min(count, first + CHUNK)):
            author = rng.choice(authors)
            words = RU if n % 2 == 0 else EN
            text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 30)))
            parent = rng.choice(recent) if recent and rng.random() < 0.2 else None
            row = _note(author, start + timedelta(minutes=n * 5), text, parent)
            rows.append(row)
            recent = [*recent, row][-200:]
        await (await session.connection()).execute(insert(ContentObject), rows)
        await session.commit()
    author = local[1]
    now = datetime.now(UTC) - timedelta(hours=2)
    root = _note(author, now, "Thread to open: photosynthesis lab, who is in?", None)
    replies = [
        _note(rng.choice(authors), now + timedelta(minutes=i + 1), f"reply {i} урок опыт", root)
        for i in range(THREAD_REPLIES)
    ]
    root["replies_count"] = THREAD_REPLIES
    await (await session.connection()).execute(insert(ContentObject), [root, *replies])
    # The local authors' accounts (a profile page is an account's).
    accounts = [
        {
            "id": new_id(),
            "actor_id": a["id"],
            "role": Role.TEACHER,
            "password_hash": "-",
            "created_at": now,
        }
        for a in local
    ]
    await (await session.connection()).execute(insert(Account), accounts)
    await session.commit()
    return root, author


class Lifespan:
    """The app's startup and shutdown, driven as a server would (ASGI lifespan messages)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.started = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Lifespan:
        async def receive() -> dict[str, Any]:
            return await self.inbox.get()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                self.started.set()
            elif message["type"] == "lifespan.startup.failed":
                raise RuntimeError(message.get("message", "startup failed"))

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.task = asyncio.create_task(self.app(scope, receive, send))
        await self.inbox.put({"type": "lifespan.startup"})
        await asyncio.wait_for(self.started.wait(), 60)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        if self.task is not None:
            await asyncio.wait_for(self.task, 60)


def _searches(rng: random.Random) -> str:
    words = " ".join(rng.choice(rng.choice((RU, EN))) for _ in range(rng.randint(1, 2)))
    if rng.random() < 1 / 3:
        return f"/materials?q={words}&subject={rng.choice(('biology', 'history', 'physics'))}"
    return f"/materials?q={words}"


async def _statements(client: httpx.AsyncClient, path: str) -> int:
    """How many SQL statements one request of ``path`` runs (any engine: the app's own)."""
    seen: list[str] = []
    with before_each_statement(Engine, lambda _c, _k, statement, *_: seen.append(statement)):
        answer = await client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return len(seen)


async def measure(url: str, data_dir: Path, posts: int, materials: int, requests: int) -> None:
    env = {
        "STAFFROOM_DOMAIN": DOMAIN,
        "STAFFROOM_DATA_DIR": str(data_dir),
        "STAFFROOM_DATABASE_URL": url,
        "STAFFROOM_WORKERS": "false",
        "STAFFROOM_API_RATE_LIMIT": "100000000",
    }
    settings = load_settings(env=env)
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        sessions = create_sessionmaker(engine)
        started = time.perf_counter()
        async with sessions() as session:
            authors = await generate(session, materials)
            root, author = await generate_posts(session, authors, posts)
        took = time.perf_counter() - started
        print(f"generated {posts} posts and {materials} materials in {took:.0f} s")
    finally:
        await engine.dispose()
    rng = random.Random(3)
    pages: dict[str, Callable[[], str]] = {
        "front page": lambda: "/",
        "profile": lambda: f"/@{author['username']}",
        "thread": lambda: f"/@{author['username']}/{root['id']}",
        "library": lambda: "/materials",
        "search": lambda: _searches(rng),
    }
    app = create_app(settings)
    async with Lifespan(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Accept": "text/html", "Accept-Language": "ru"}
        async with httpx.AsyncClient(
            transport=transport, base_url=f"https://{DOMAIN}", headers=headers
        ) as client:
            times: dict[str, list[float]] = {name: [] for name in pages}
            statements: dict[str, int] = {}
            for name, path in pages.items():
                for _ in range(5):  # warm-up: templates compiled, stemmers loaded
                    answer = await client.get(path())
                    assert answer.status_code == 200, (name, answer.status_code, answer.text[:300])
                statements[name] = await _statements(client, path())
            for _ in range(requests):
                for name, path in pages.items():
                    t0 = time.perf_counter()
                    answer = await client.get(path())
                    times[name].append((time.perf_counter() - t0) * 1000)
                    assert answer.status_code == 200, (name, answer.status_code)
    print(f"{requests} requests a page; target p95 < {TARGET_P95_MS:.0f} ms")
    for name, samples in times.items():
        q = statistics.quantiles(sorted(samples), n=100)
        mark = "ok" if q[94] < TARGET_P95_MS else "SLOW"
        print(
            f"  {name:11} p50 {q[49]:6.1f} ms   p95 {q[94]:6.1f} ms   {mark:4}"
            f"   {statements[name]:3} statements"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--materials", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; backend {args.backend}"
    )
    if args.backend == "postgres" and not os.environ.get(POSTGRES_ENV):
        parser.error(f"set {POSTGRES_ENV} for the postgres backend")
    with tempfile.TemporaryDirectory() as tmp:
        url = new_database_url(args.backend, Path(tmp))
        try:
            asyncio.run(measure(url, Path(tmp) / "data", args.posts, args.materials, args.requests))
        finally:
            if args.backend == "postgres":
                drop_database(url)


if __name__ == "__main__":
    main()
