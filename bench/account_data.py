"""Account data benchmark: how long a large account's archive and erasure take.

In one process, over a fresh database, it gives one teacher ``--posts``
public posts (each with a ``Create`` activity delivered to one of
``--hosts`` remote hosts, where as many followers live), then runs the
export job and the erasure job as the workers do
(:func:`content.account_data.worker.run_until_idle`) and prints, for each,
the seconds, posts per second and the job's final progress; for the
erasure, how many inboxes its ``Delete`` was queued for.

    .venv/bin/python -m bench.account_data [--posts 2000] [--hosts 100]
        [--backend sqlite|postgres|both]

Figures are only meaningful on a quiet machine. The issue sets no bar: it
shows that a long job commits in batches (progress moves) and how long a
school account's jobs take.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from actors.local import account_by_name, create_person
from actors.passwords import generate_password
from content.account_data import erasure, jobs, worker
from staffroom.app import node_context
from staffroom.settings import load_settings, normalize_database_url
from storage import migrate
from storage.engine import create_engine
from storage.ids import new_id
from storage.models import (
    AccountJob,
    Activity,
    Actor,
    ContentObject,
    Delivery,
    Follow,
    FollowState,
    JobKind,
    Role,
)
from tests.support.databases import POSTGRES_ENV, drop_database, new_database_url

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _world(node: object, posts: int, hosts: int) -> Actor:
    from actors.context import NodeContext

    assert isinstance(node, NodeContext)
    async with node.sessions() as session:
        _account, vic = await create_person(
            session, node.config, "vic", role=Role.TEACHER, password=generate_password()
        )
        assert vic.id is not None
        followers = []
        for n in range(hosts):
            host = f"school{n}.example"
            other = Actor(
                ap_id=f"https://{host}/users/t{n}",
                username=f"t{n}",
                domain=host,
                inbox_url=f"https://{host}/users/t{n}/inbox",
                shared_inbox_url=f"https://{host}/inbox",
            )
            session.add(other)
            followers.append(other)
        await session.flush()
        for other in followers:
            assert other.id is not None
            session.add(
                Follow(
                    follower_id=other.id,
                    followee_id=vic.id,
                    activity_ap_id=f"{other.ap_id}/follow",
                    state=FollowState.ACCEPTED,
                )
            )
        for n in range(posts):
            object_id = new_id()
            ap_id = node.config.object_url("vic", object_id)
            session.add(
                ContentObject(
                    id=object_id,
                    ap_id=ap_id,
                    author_id=vic.id,
                    local=True,
                    url=ap_id,
                    content=f"<p>Lesson note {n}: fractions, a worksheet and its answers.</p>",
                    to=[PUBLIC],
                    cc=[vic.followers_url or ""],
                )
            )
            activity = Activity(
                id=new_id(),
                ap_id=f"{ap_id}/activity",
                actor_id=vic.id,
                type="Create",
                object_ap_id=ap_id,
                public=True,
                body={"type": "Create", "object": ap_id},
            )
            session.add(activity)
            await session.flush()
            host = f"school{n % hosts}.example"
            session.add(
                Delivery(
                    activity_id=activity.id or 0,
                    inbox_url=f"https://{host}/inbox",
                    host=host,
                    state="sent",
                )
            )
            if n % 500 == 499:
                await session.flush()
        await session.commit()
        return vic


async def _run(backend: str, url: str, tmp: str, posts: int, hosts: int) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    settings = load_settings(
        env={
            "STAFFROOM_DOMAIN": "school.example",
            "STAFFROOM_DATA_DIR": str(Path(tmp) / "data"),
            "STAFFROOM_DATABASE_URL": url,
        }
    )
    async with node_context(settings) as node:
        vic = await _world(node, posts, hosts)
        async with node.sessions() as session:
            await jobs.create(session, vic, JobKind.EXPORT)
            await session.commit()
        started = time.perf_counter()
        await worker.run_until_idle(node)
        export_s = time.perf_counter() - started
        async with node.sessions() as session:
            found = await account_by_name(session, "vic")
            assert found is not None
            job = await erasure.request(session, *found, password=None, operator=True)
            await session.commit()
        started = time.perf_counter()
        await worker.run_until_idle(node)
        erase_s = time.perf_counter() - started
        async with node.sessions() as session:
            done = await session.get(AccountJob, job.id)
            assert done is not None
            sent = len(done.report.get("delete_sent_to", []))
            state, progress = done.state, done.progress
    print(
        f"{backend:8} {posts} posts: export {export_s:.2f} s ({posts / export_s:.0f} posts/s), "
        f"erasure {erase_s:.2f} s ({posts / erase_s:.0f} posts/s, {state} {progress}%, "
        f"Delete queued for {sent} inboxes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgres" and not os.environ.get(POSTGRES_ENV):
            print(f"postgres skipped: {POSTGRES_ENV} is unset")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            raw = new_database_url(backend, Path(tmp))
            try:
                asyncio.run(_run(backend, normalize_database_url(raw), tmp, args.posts, args.hosts))
            finally:
                drop_database(raw)


if __name__ == "__main__":
    main()
