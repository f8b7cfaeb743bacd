"""Inbox handling benchmark: how fast the inbox worker works through stored activities.

``bench.inbox`` measures what a 202 costs (verify and store); this measures
what comes after it. In one process, over a fresh database, it stores
``--count`` signed-and-verified-shaped ``Create(Note)`` activities (the
loadgen's shape: public, to the sender's followers, one hashtag) from 50
remote actors our node already knows (served by a loopback remote server),
then runs :func:`inbox.worker.run_once` until nothing is left (in as many
lanes at once as the node would run, or ``--lanes``), and prints:

* items handled per second and the CPU per item (this process: the event
  loop and aiosqlite's thread);
* statements per item, and the statements that took the most time.

    .venv/bin/python -m bench.inbox_drain [--count 2000] [--backend sqlite|postgres|both]
        [--lanes N] [--profile]

``--profile`` runs the drain under cProfile and prints the functions that
took the most CPU (their own time, then cumulative; ``TOP=n`` in the
environment prints n of each, and ``CALLERS=regex`` who called the
functions it matches). The CPU per item is the
figure to compare on a loaded machine: the wall-clock rate moves with the
load, the CPU an item costs does not (much).

The machine's speed moves by a third from hour to hour on a shared VM:
compare two versions by running them alternately, not against a figure from
another day. The issue sets no bar for this; it is how long a burst of
received posts takes to reach timelines.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvloop
from sqlalchemy import event, func
from sqlmodel import select

from bench.databases import backends, fresh_database
from federation.constants import PUBLIC
from federation.jsonld import normalize
from inbox import worker
from staffroom.app import node_context
from staffroom.settings import load_settings
from storage import migrate
from storage.engine import create_engine
from storage.models import ContentObject, StreamEvent
from storage.repos.inbox import insert_once
from tests.support.remote import RemoteActor, remote_server

ACTORS = 50


def create_note(actor: RemoteActor, n: int) -> dict[str, Any]:
    """A Create shaped like ``aploadgen``'s (``../shared/loadgen/aploadgen/inbox.py``)."""
    note_id = f"{actor.id}/statuses/{uuid.uuid4().hex}"
    cc = [f"{actor.id}/followers"]
    text = (
        f"<p>Lesson note #{n} from {actor.name}: fractions worksheet, answer key and "
        "a short video for the flipped class. Reuse freely under CC-BY-SA.</p>"
    )
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {"sensitive": "as:sensitive", "Hashtag": "as:Hashtag"},
        ],
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": actor.id,
        "published": "2026-11-26T12:00:00Z",
        "to": [PUBLIC],
        "cc": cc,
        "object": {
            "id": note_id,
            "type": "Note",
            "summary": None,
            "inReplyTo": None,
            "published": "2026-11-26T12:00:00Z",
            "url": note_id,
            "attributedTo": actor.id,
            "to": [PUBLIC],
            "cc": cc,
            "sensitive": False,
            "content": text,
            "contentMap": {"en": text},
            "attachment": [],
            "tag": [{"type": "Hashtag", "href": f"{actor.base_url}/tags/maths", "name": "#maths"}],
        },
    }


class StatementTimes:
    """Count and time every statement an engine runs (the thread hop included)."""

    def __init__(self) -> None:
        self.by_text: defaultdict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self._started: dict[int, float] = {}

    def before(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self._started[id(conn)] = time.perf_counter()

    def after(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        entry = self.by_text[" ".join(statement.split())[:110]]
        entry[0] += 1
        entry[1] += time.perf_counter() - self._started.pop(id(conn), time.perf_counter())

    @contextmanager
    def watching(self, engine: Any) -> Iterator[None]:
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        try:
            yield
        finally:
            event.remove(engine, "before_cursor_execute", self.before)
            event.remove(engine, "after_cursor_execute", self.after)

    @property
    def count(self) -> int:
        return int(sum(n for n, _ in self.by_text.values()))


async def drain(
    url: str, count: int, data_dir: Path, profile: bool = False, lanes: int = 0
) -> dict[str, Any]:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    settings = load_settings(
        env={
            "STAFFROOM_DOMAIN": "127.0.0.1:1",  # never served: nothing fetches our ids
            "STAFFROOM_DATA_DIR": str(data_dir),
            "STAFFROOM_DATABASE_URL": url,
            "STAFFROOM_ALLOW_HTTP": "true",
            "STAFFROOM_ALLOW_PRIVATE_ADDRESSES": "true",
            "STAFFROOM_SECRET_KEY": "b" * 40,
        }
    )
    with remote_server() as remote:
        actors = [remote.add_actor(f"u{i}") for i in range(ACTORS)]
        async with node_context(settings) as node:
            for actor in actors:  # as the signature check leaves them: fetched and stored
                await node.remote.get(actor.id)
            async with node.sessions() as session:
                for n in range(count):
                    activity = normalize(create_note(actors[n % ACTORS], n))
                    await insert_once(
                        session,
                        {
                            "activity_id": activity["id"],
                            "activity_type": activity["type"],
                            "actor_ap_id": activity["actor"],
                            "recipient_id": None,
                            "key_id": f"{activity['actor']}#main-key",
                            "body": activity,
                        },
                    )
                await session.commit()
            times = StatementTimes()
            with times.watching(node.sessions.kw["bind"].sync_engine):
                profiler = cProfile.Profile() if profile else None
                started, cpu = time.perf_counter(), time.process_time()
                handled = 0
                if profiler is not None:
                    profiler.enable()

                async def lane() -> None:
                    nonlocal handled
                    while claimed := await worker.run_once(node):
                        handled += claimed

                lanes = lanes or worker.lanes_for(node.sessions.kw["bind"].dialect.name)
                await asyncio.gather(*(lane() for _ in range(lanes)))
                if profiler is not None:
                    profiler.disable()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            async with node.sessions() as session:  # what the drain left: one of each per item
                stored = {
                    model.__name__: (
                        await session.exec(select(func.count()).select_from(model))
                    ).one()
                    for model in (ContentObject, StreamEvent)
                }
    if profiler is not None:
        for order in ("tottime", "cumulative"):
            pstats.Stats(profiler).sort_stats(order).print_stats(int(os.environ.get("TOP", "25")))
        if os.environ.get("CALLERS"):
            pstats.Stats(profiler).print_callers(os.environ["CALLERS"])
    return {
        "handled": handled,
        "lanes": lanes,
        "stored": stored,
        "per_s": handled / elapsed,
        "cpu_ms_per_item": cpu / max(handled, 1) * 1000,
        "statements_per_item": times.count / max(handled, 1),
        "top": sorted(times.by_text.items(), key=lambda kv: -kv[1][1])[:8],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the drain")
    parser.add_argument(
        "--lanes",
        type=int,
        default=0,
        help="batches handled at once (default: as the node does, inbox.worker.lanes_for)",
    )
    args = parser.parse_args()
    kinds = backends(args.backend)
    for kind in kinds:
        with fresh_database(kind) as (url, scratch):
            result = uvloop.run(drain(url, args.count, scratch, args.profile, args.lanes))
        print(
            f"{kind}: {result['handled']} Creates handled at {result['per_s']:.0f}/s "
            f"({result['lanes']} lane(s)); "
            f"CPU {result['cpu_ms_per_item']:.2f} ms/item; "
            f"{result['statements_per_item']:.1f} statements/item; rows: {result['stored']}"
        )
        handled = max(result["handled"], 1)
        for text, (n, seconds) in result["top"]:
            print(f"   {seconds / handled * 1000:6.3f} ms/item  {int(n):6d} x  {text}")


if __name__ == "__main__":
    main()
