"""Inbox ingress benchmark: signed Creates at our shared inbox vs the naive baseline.

Drives ``../shared/loadgen`` (draft-cavage signed ``Create(Note)`` from 50
remote actors, 32 in flight) at a real ``staffroom serve`` process, on SQLite
and on PostgreSQL, and in the same run at the loadgen's naive receiver (verify,
one commit per activity). Our 202 means "stored", so accepted/s is stored/s;
the script checks the row count in our database after each run.

    .venv/bin/python -m bench.inbox [--count 10000] [--backend sqlite|postgres|both]
        [--processes N] [--worker-processes N] [--no-workers] [--profile]

By default the node runs as deployed on this machine: one web process per
core (``serve --processes N``) plus its worker process.

Target (issue #3): at least 3x the baseline with p99 ≤ 100 ms.

With workers on, it also prints handled/s: every stored activity handled
by the inbox worker, counted from the first 202 (the earliest
``received_at``) to the moment the last one was handled (a watcher thread
looks at the queue every 50 ms through a connection of its own), and how
long after the last 202 that was. Target (issue #15): the last item
handled within 10 s of the last 202, handled ≥ 1,000/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import func, select

from bench import profiling
from bench.databases import backends
from storage.engine import create_engine, create_sessionmaker
from storage.models import InboxItem
from tests.support.node import Node, free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]
LOADGEN = ROOT.parent / "shared" / "loadgen"
WORK = ROOT / ".bench"


def loadgen(inbox: str, args: argparse.Namespace, tag: str) -> dict[str, Any]:
    out = WORK / f"inbox-{tag}.json"
    cmd = [
        sys.executable, "-m", "aploadgen", "inbox",
        "--inbox", inbox,
        "-n", str(args.count), "-m", str(args.actors), "-c", str(args.concurrency),
        "-t", str(args.time_limit), "--actor-port", str(free_port()),
        "--key-cache", str(WORK / "keys"), "--warmup", str(args.warmup),
        "--json-out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(LOADGEN)}
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, timeout=args.time_limit + 240)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def stored_rows(node: Node) -> int:
    async def count(session: Any) -> int:
        return int((await session.exec(select(func.count()).select_from(InboxItem))).one())

    return node.with_session(count)


def waiting_rows(node: Node) -> int:
    async def count(session: Any) -> int:
        query = select(func.count()).select_from(InboxItem).where(InboxItem.state == "received")
        return int((await session.exec(query)).one())

    return node.with_session(count)


class Watcher(threading.Thread):
    """Watches the queue from the side: when (wall clock) it last became empty."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.finish = threading.Event()
        self.empty_since: float | None = None
        self.seen_work = False

    def run(self) -> None:
        asyncio.run(self._watch())

    async def _watch(self) -> None:
        engine = create_engine(self.url)
        sessions = create_sessionmaker(engine)
        query = select(func.count()).select_from(InboxItem).where(InboxItem.state == "received")
        try:
            while True:
                async with sessions() as session:
                    waiting = int((await session.exec(query)).one())
                now = time.time()
                if waiting:
                    self.seen_work, self.empty_since = True, None
                elif self.seen_work and self.empty_since is None:
                    self.empty_since = now
                if self.finish.is_set() and self.seen_work and not waiting:
                    return
                await asyncio.sleep(0.05)
        finally:
            await engine.dispose()


def wall(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def received_span(node: Node) -> tuple[float, float]:
    """The first and the last 202 (stored rows' ``received_at``), as wall-clock seconds."""

    async def span(session: Any) -> tuple[float, float]:
        first, last = (
            await session.exec(
                select(func.min(InboxItem.received_at), func.max(InboxItem.received_at))
            )
        ).one()
        return (first.replace(tzinfo=UTC).timestamp(), last.replace(tzinfo=UTC).timestamp())

    return node.with_session(span)


def run_ours(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    node = Node(
        Path(tempfile.mkdtemp(dir=WORK)),
        kind,
        workers=not args.no_workers,
        processes=args.processes,
        worker_processes=args.worker_processes,
    )
    try:
        node.migrate()
        node.start()
        assert node.process is not None
        out = WORK / f"inbox-profile-{kind}.txt"
        spy = profiling.start(node.process.pid, out) if args.profile else None
        watcher = None if args.no_workers else Watcher(node.settings.database_url)
        if watcher is not None:
            watcher.start()
        try:
            result = loadgen(f"{node.base_url}/inbox", args, f"staffroom-{kind}")
        finally:
            profiling.stop(spy)
        result["stored_rows"] = stored_rows(node)
        if watcher is not None:
            # Handling (storing the posts) is deferred work: when was the last item handled?
            watcher.finish.set()
            watcher.join(timeout=600)
            wait_until(lambda: waiting_rows(node) == 0, timeout=10, interval=0.5)
            assert watcher.empty_since is not None
            first, last = received_span(node)
            result["drained_s"] = watcher.empty_since - last
            result["handled_per_s"] = result["stored_rows"] / (watcher.empty_since - first)
        return result
    finally:
        node.close()


def run_baseline(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    db = WORK / f"receiver-{time.time_ns()}.db"
    env = {
        **os.environ,
        "PYTHONPATH": str(LOADGEN),
        "RECEIVER_DB": str(db),
        "RECEIVER_BASE": f"http://127.0.0.1:{port}",
    }
    cmd = [sys.executable, "-m", "uvicorn", "receiver:app", "--host", "127.0.0.1",
           "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=LOADGEN)
    try:
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=1).status_code == 200,
            timeout=20,
        )
        result = loadgen(f"http://127.0.0.1:{port}/inbox", args, "baseline")
        result["stored_rows"] = httpx.get(f"http://127.0.0.1:{port}/_stats").json()["stored"]
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def summary(name: str, r: dict[str, Any]) -> str:
    lat = r.get("latency_ms", r)
    return (
        f"{name:<22} {r['accepted_per_s']:>9.0f}/s  p50 {lat['p50']:>6.1f} ms  "
        f"p99 {lat['p99']:>6.1f} ms  accepted {r['accepted']:>6}  stored {r['stored_rows']:>6}  "
        f"statuses {r.get('status_counts')}"
        + (
            f"\n{'':<22} handled {r['handled_per_s']:>7.0f}/s (first 202 to last handled); "
            f"the last {r['drained_s']:.1f} s after the last 202"
            if "drained_s" in r
            else ""
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--actors", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--no-workers", action="store_true", help="serve without workers")
    parser.add_argument("--profile", action="store_true", help="py-spy the node (raw stacks)")
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="serve --processes N (default: one web process per core, as deployed)",
    )
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=1,
        help="serve --worker-processes N (the queues' processes beside the web processes)",
    )
    args = parser.parse_args()
    if not LOADGEN.is_dir():
        print(f"no loadgen at {LOADGEN}", file=sys.stderr)
        return 2
    WORK.mkdir(exist_ok=True)
    kinds = backends(args.backend)

    baseline = run_baseline(args)
    results = {kind: run_ours(kind, args) for kind in kinds}
    print()
    workers = "no workers" if args.no_workers else "workers on"
    print(f"staffroom serve --processes {args.processes} ({workers}); {args.count} activities")
    print(summary("baseline (naive)", baseline))
    for kind, result in results.items():
        print(summary(f"staffroom/{kind}", result))
    for kind, result in results.items():
        ratio = result["accepted_per_s"] / baseline["accepted_per_s"]
        p99 = result.get("latency_ms", result)["p99"]
        ok = ratio >= 3 and p99 <= 100
        print(f"ratio staffroom/{kind} : baseline = {ratio:.2f}x, p99 {p99:.1f} ms "
              f"(target ≥ 3x, ≤ 100 ms: {'met' if ok else 'NOT met'})")  # fmt: skip
        if "drained_s" in result:
            ok = result["drained_s"] <= 10 and result["handled_per_s"] >= 1000
            print(f"handled staffroom/{kind}: {result['handled_per_s']:.0f}/s, last "
                  f"{result['drained_s']:.1f} s after the last 202 "
                  f"(target ≤ 10 s, ≥ 1,000/s: {'met' if ok else 'NOT met'})")  # fmt: skip
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
