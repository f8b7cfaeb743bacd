"""Audience benchmark: :func:`outbox.audience.resolve` of a post to 10,000 followers.

Every post a teacher publishes resolves its addressing in the API request
(:mod:`outbox.publish`), so the teacher waits for it, and on a node whose
workers run in-process the event loop does too. Over a fresh migrated
database this writes a local author and ``--followers`` remote followers,
``followers / hosts`` per host, all sharing their host's shared inbox (as
:mod:`bench.fanout` does), then resolves one public post ``--runs`` times,
each in a fresh session (as a request has), and prints the microseconds
per follower, of wall time and of this process's CPU (PostgreSQL's own
work is in the first, not the second). Seeding is not timed.

    .venv/bin/python -m bench.audience [--followers 10000] [--hosts 1000] [--runs 5]
                                       [--backend sqlite|postgres|both]

On a machine shared with others' runs the figures move from run to run;
compare the best of each and run the two versions alternately.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import uvloop

from bench.databases import backends, fresh_database
from bench.followers import add_followers
from outbox.audience import resolve
from storage import migrate
from storage.engine import create_engine, create_sessionmaker
from tests.support.outbox import make_author, note


async def run(url: str, followers: int, hosts: int, runs: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each resolve, after seeding the followers."""
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            author = await make_author(session, "https://school.example")
            assert author.id is not None
            hosts_names = [f"h{h}.example" for h in range(hosts)]
            await add_followers(session, author.id, hosts_names, followers, "https")
            await session.commit()
        body = note(author)
        times = []
        for _ in range(runs):
            async with sessions() as session:
                wall, cpu = time.perf_counter(), time.process_time()
                audience = await resolve(session, author, body)
                times.append((time.perf_counter() - wall, time.process_time() - cpu))
            assert len(audience.inboxes) == min(hosts, followers), len(audience.inboxes)
        return times
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    kinds = backends(args.backend)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for kind in kinds:
        with fresh_database(kind) as (url, _):
            times = uvloop.run(run(url, args.followers, args.hosts, args.runs))
        per = 1e6 / args.followers
        walls = [wall * per for wall, _ in times]
        cpus = [cpu * per for _, cpu in times]
        print(
            f"{kind}: {args.followers} followers on {args.hosts} hosts, µs per follower: "
            f"wall best {min(walls):.1f} median {statistics.median(walls):.1f}, "
            f"CPU best {min(cpus):.1f} median {statistics.median(cpus):.1f}"
        )


if __name__ == "__main__":
    main()
