"""Community fan-out: one post to a community of 2,000 members on 200 nodes.

Starts the loadgen sink (``../shared/loadgen``: one fake node per port,
verifying every signature) and a real ``staffroom serve``; writes a
community with 2,000 remote members (ten per sink node, sharing that node's
shared inbox) and one local member; then that member posts to the community
(a local post addressing it, as a mention from a Mastodon app does). The
community's node checks the post in its inbox worker and announces it twice
(FEP-1b12's ``Announce{Create}`` and Lemmy's ``Announce{Note}``).

It prints, per Announce, the delivery rows queued (the issue's bar: exactly
one per shared inbox, 200) and the time from the post's commit to the last
delivery recorded sent, plus the sink's count of requests received.

    .venv/bin/python -m bench.community [--hosts 200] [--members 2000]
        [--backend sqlite|postgres] [--time-limit 120]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlmodel import select

from bench.machine import WORK, free_port_range
from bench.sink import SinkProcess
from content.communities import manage
from content.communities.manage import CommunityDraft
from content.posts import create_post
from storage.ids import new_id
from storage.models import Activity, Actor, Delivery, DeliveryState, Follow, FollowState
from tests.support.node import Node


def seed(node: Node, base: int, args: argparse.Namespace) -> str:
    """The community, its remote members and one local member; returns the community's id."""
    node.create_user("poster")

    async def work(session: Any, ctx: Any) -> str:
        group, _ = await manage.create_community(
            session, ctx.config, CommunityDraft(name="bench"), None
        )
        poster = (await session.exec(select(Actor).where(Actor.username == "poster"))).one()
        assert group.id is not None
        actors, follows = [], []
        per_host = args.members // args.hosts
        for h in range(args.hosts):
            host = f"127.0.0.1:{base + h}"
            for i in range(per_host):
                ap_id = f"http://{host}/users/m{i}"
                actor = Actor(
                    id=new_id(), ap_id=ap_id, username=f"m{i}", domain=host,
                    inbox_url=f"{ap_id}/inbox", shared_inbox_url=f"http://{host}/inbox",
                )  # fmt: skip
                actors.append(actor)
        session.add_all(actors)
        await session.flush()
        for member in [*actors, poster]:
            follows.append(
                Follow(
                    id=new_id(),
                    follower_id=member.id,
                    followee_id=group.id,
                    state=FollowState.ACCEPTED,
                    activity_ap_id=f"{member.ap_id}/follow/bench",
                )
            )
        session.add_all(follows)
        return str(group.ap_id)

    result: str = node.with_node(work)
    return result


def post(node: Node, community: str) -> float:
    async def work(session: Any, ctx: Any) -> None:
        poster = (await session.exec(select(Actor).where(Actor.username == "poster"))).one()
        await create_post(
            session,
            ctx,
            poster,
            content_text_or_html="A question for the whole community",
            visibility="public",
            addressees=[community],
        )

    node.with_node(work)  # commits
    return time.perf_counter()


def announces(node: Node, community: str) -> list[tuple[str, int, int, float | None]]:
    """(kind of Announce, rows, rows sent, seconds from the first row to the last sent)."""

    async def work(session: Any) -> list[tuple[str, int, int, float | None]]:
        group = (await session.exec(select(Actor).where(Actor.ap_id == community))).one()
        found = []
        activities = await session.exec(
            select(Activity).where(Activity.actor_id == group.id, Activity.type == "Announce")
        )
        for activity in activities.all():
            rows = (
                await session.exec(select(Delivery).where(Delivery.activity_id == activity.id))
            ).all()
            sent = [r for r in rows if r.state == DeliveryState.SENT]
            span = None
            if rows and len(sent) == len(rows):
                first = min(r.created_at for r in rows)
                span = (max(r.updated_at for r in sent) - first).total_seconds()
            kind = (
                "Announce{Create}"
                if isinstance(activity.body["object"], dict)
                else "Announce{Note}"
            )
            found.append((kind, len(rows), len(sent), span))
        return found

    result: list[tuple[str, int, int, float | None]] = node.with_session(work)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    args.slow_ms = 0.0
    WORK.mkdir(exist_ok=True)
    base = free_port_range(args.hosts)
    sink = SinkProcess(args, base, 0, 0, "community")
    node = Node(Path(tempfile.mkdtemp(dir=WORK)), args.backend)
    try:
        node.migrate()
        node.start()
        community = seed(node, base, args)
        t0 = post(node, community)
        deadline = t0 + args.time_limit
        done: list[tuple[str, int, int, float | None]] = []
        while time.perf_counter() < deadline:
            done = announces(node, community)
            if len(done) == 2 and all(sent == rows and rows for _k, rows, sent, _s in done):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - t0
        time.sleep(0.5)
        received = sink.stats().get("total")
    finally:
        report = sink.stop()
        node.close()
    print(f"community of {args.members} members on {args.hosts} nodes ({args.backend})")
    for kind, rows, sent, span in done:
        print(f"   {kind}: {rows} delivery rows (one per shared inbox), {sent} sent; "
              f"first row to last sent {span if span is None else round(span, 2)} s")  # fmt: skip
    print(f"   from the post's commit to the last delivery recorded sent: {elapsed:.2f} s")
    print(f"   sink received {received} requests (results {report.get('results')})")
    print(f"   load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
