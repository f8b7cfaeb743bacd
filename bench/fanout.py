"""Fan-out benchmark: one post to 10,000 followers on 1,000 hosts, against the loadgen sink.

What it does, per run:

1. starts a real ``staffroom serve`` (``--worker-processes``: one delivery
   process per core by default; 1 runs the workers in-process) on a fresh
   database and writes 10,000 remote followers straight into it, ten per sink
   host, all sharing that host's shared inbox;
2. starts ``aploadgen sink`` (``../shared/loadgen``) with one fake host per
   port, verifying every Digest and HTTP signature. It holds the author's
   public key already, as her followers' servers do since the follow
   (:mod:`bench.held_key_sink`); with ``--cold-sink`` it fetches the key
   from the node on the first request, the other requests waiting for it;
3. measures one core's RSA-2048 PKCS#1 v1.5 SHA-256 sign rate in this process
   (about 2 s), while the node is idle;
4. posts once through the node's API, as a teacher's app would (1,000
   rows: one per shared inbox; the clock starts at the commit, read off the
   outbox beacon, see :func:`publish_one`) and waits until every healthy
   host's row is sent, or the time limit. Before all this the node has
   delivered once already (:func:`warm_up`).

It prints three deliveries/s figures and their ratios to the sign rate:

* **arrival** (the headline): from the publish commit until the sink has
  received every request (the sink's count, polled every 10 ms);
* **end-to-end**: from the publish commit until our database records the
  last healthy row sent (outcomes are written in batches, so this adds up to
  one flush interval and whatever delays the worker's bookkeeping);
* **sink burst**: the sink's own first-to-last arrival span. Not a
  throughput: a worker that signs hundreds of requests before the first one
  leaves makes them arrive together, and this figure climbs (over 2x the sign
  rate with 512 in flight) while the time to deliver does not move. Shown
  because earlier notes quoted it.

The default is two runs: a clean one, then one where ``--slow-hosts``
answer after ``--slow-ms`` and ``--error-hosts`` answer 500, to show the
healthy hosts' rate does not drop.

    .venv/bin/python -m bench.fanout [--hosts 1000] [--followers 10000]
        [--backend sqlite|postgres] [--worker-processes N] [--runs clean,degraded,...]
        [--pin] [--profile] [--timeline] [--cold-sink]

``--pin`` (needs two cores) holds the node (web and worker processes, and
every thread they start) on core 0 and the sink on core 1, with
``os.sched_setaffinity`` inherited at fork, so the sink takes none of the
node's CPU. The sign rate is then measured on core 0, and the bench's own
polling moves to core 1. Every run also prints when the first request
reached the sink after the publish commit (:func:`first_arrival_ms`), and
the node's CPU-busy fraction during the fan-out: its processes' CPU seconds
from the publish commit to the last arrival, over that wall time and the
cores it may use. ``--timeline`` shows when that time went: the node's and
the sink's CPU per 10 ms from the commit, and each spell the node sat idle
with what the sink did meanwhile (:mod:`bench.timeline`).

Target (issue, part 3): ≥ 0.5 x the sign rate, and degraded hosts never lower
the others' rate. Everything stops by itself (``--time-limit`` per run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import func, make_url
from sqlmodel import col, select

from bench import profiling
from bench import timeline as cpu_timeline
from bench.followers import add_followers
from bench.held_key_sink import HELD_KEYS
from federation.signatures.cavage import sign_cavage
from storage.beacons import Beacon, beacon
from storage.models import Actor, Delivery, DeliveryState
from storage.wakeups import OUTBOX
from tests.support.node import Node, wait_until
from tests.support.outbox import note
from tests.support.procfs import children_of, stat_fields

ROOT = Path(__file__).resolve().parents[1]
LOADGEN = ROOT.parent / "shared" / "loadgen"
WORK = ROOT / ".bench"


def sign_rate(seconds: float = 2.0) -> float:
    """RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second on one core."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = b"(request-target): post /inbox\nhost: 127.0.0.1:20000\ndate: x\ndigest: y" * 2
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        count += 50
    return count / elapsed


def pinned(core: int | None) -> contextlib.AbstractContextManager[None]:
    """Processes started inside run on ``core`` only (affinity is inherited at fork)."""

    @contextlib.contextmanager
    def pin() -> Any:
        if core is None:
            yield
            return
        before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {core})
        try:
            yield
        finally:
            os.sched_setaffinity(0, before)

    return pin()


def free_port_range(n: int) -> int:
    """A base port P with P .. P+n-1 all free on 127.0.0.1."""
    for base in range(20000, 65000 - n, 997):
        socks = []
        try:
            for port in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise SystemExit(f"no {n} consecutive free ports")


class SinkProcess:
    """The loadgen sink; with ``held`` keys (id to public PEM) already in its key cache.

    A follower's server holds our author's key from the follow, so by
    default the sink does too (:mod:`bench.held_key_sink`); ``--cold-sink``
    (``held=None``) runs the stock sink, whose first request fetches it.
    """

    def __init__(
        self,
        args: argparse.Namespace,
        base: int,
        slow: int,
        errors: int,
        tag: str,
        held: dict[str, str] | None = None,
    ):
        self.base, self.hosts = base, args.hosts
        self.out = WORK / f"fanout-sink-{tag}.json"
        self.out.unlink(missing_ok=True)
        module = "aploadgen" if held is None else "bench.held_key_sink"
        cmd = [
            sys.executable, "-m", module, "sink",
            "--hosts", str(args.hosts), "--base-port", str(base),
            "-t", str(args.time_limit + 120), "--progress", "3600",
            "--slow-hosts", str(slow), "--slow-ms", str(args.slow_ms),
            "--error-hosts", str(errors), "--json-out", str(self.out),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": f"{LOADGEN}{os.pathsep}{ROOT}"}
        if held is not None:
            env[HELD_KEYS] = json.dumps(held)
        self.log = (WORK / f"fanout-sink-{tag}.log").open("w")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"sink exited early; see {self.log.name}")
            try:
                if httpx.get(self.stats_url(base + args.hosts - 1), timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("sink did not start in 120 s")
            time.sleep(0.2)

    def stats_url(self, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.base}/_sink/stats"

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = httpx.get(self.stats_url(), timeout=5).json()
        return result

    def stop(self) -> dict[str, Any]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return json.loads(self.out.read_text()) if self.out.exists() else {}


def seed(node: Node, base: int, hosts: int, followers: int, username: str = "bencher") -> int:
    """``followers`` remote followers of a fresh local author, ``followers / hosts`` per host."""
    author = node.create_user(username)
    per_host = followers // hosts

    async def work(session: Any) -> None:
        names = [f"127.0.0.1:{base + h}" for h in range(hosts)]
        await add_followers(session, author.id, names, per_host * hosts, "http")

    node.with_session(work)
    author_id: int = author.id
    return author_id


def publish_one(node: Node, username: str) -> tuple[float, datetime, float]:
    """Post as a teacher does, through the node's API; when its commit was, on two clocks,
    and when its answer came back (``perf_counter``).

    The node's web process makes the post and its delivery rows, and a
    worker in the same process (``--worker-processes 1``) is woken by the
    commit itself. The commit's moment is read off the outbox beacon the
    commit stamped (:mod:`storage.beacons`, ``CLOCK_MONOTONIC`` like
    ``time.perf_counter`` here), not taken when the answer came back.
    """
    response = httpx.post(
        f"{node.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {node.token(username)}"},
        json={"status": "Bench: a lesson plan for everyone", "visibility": "public"},
        timeout=120,
    )
    response.raise_for_status()
    now_perf, now_wall = time.perf_counter(), datetime.now().astimezone()
    stamp = queue_beacon_of(node).last()
    return stamp, now_wall - timedelta(seconds=now_perf - stamp), now_perf


def queue_beacon_of(node: Node) -> Beacon:
    assert time.get_clock_info("perf_counter").implementation == (
        time.get_clock_info("monotonic").implementation
    ), "the beacon's clock is CLOCK_MONOTONIC; perf_counter must be the same clock"
    found = beacon(make_url(node.database_url), OUTBOX)
    assert found is not None
    return found


def warm_up(node: Node, args: argparse.Namespace, sink_core: int | None) -> None:
    """One post of another author to one follower on a sink of its own, before the clock starts.

    A running node has delivered before: its statements are compiled, its
    federation rules loaded, its client made. A node started a moment ago
    pays for all of that in its first fan-out's first request (about 25 ms
    here), which is not what the first-request figure is about.
    """
    base = free_port_range(1)
    one = argparse.Namespace(**{**vars(args), "hosts": 1})
    with pinned(sink_core):
        sink = SinkProcess(one, base, 0, 0, "warm-up")
    try:
        seed(node, base, 1, 1, username="warmer")
        publish_one(node, "warmer")
        warm = {f"127.0.0.1:{base}"}
        wait_until(lambda: progress(node, warm, warm)[0] >= 1, timeout=30)
    finally:
        sink.stop()


def queued(node: Node, ours: set[str]) -> int:
    """Delivery rows to ``ours`` (this run's hosts)."""

    async def work(session: Any) -> int:
        count = select(func.count()).where(col(Delivery.host).in_(ours))
        return int((await session.exec(count)).one())

    return node.with_session(work)


def progress(node: Node, healthy: set[str], ours: set[str]) -> tuple[int, int, list[datetime]]:
    """Rows sent to ``ours`` (this run's hosts), rows queued, and when each healthy one went."""

    async def work(session: Any) -> tuple[int, int, list[datetime]]:
        rows = (
            await session.exec(
                select(Delivery.host, Delivery.updated_at).where(
                    col(Delivery.state) == DeliveryState.SENT
                )
            )
        ).all()
        total = (await session.exec(select(func.count()).select_from(Delivery))).one()
        times = [at for host, at in rows if host in healthy]
        return sum(1 for host, _at in rows if host in ours), int(total), times

    return node.with_session(work)


def ceiling(
    args: argparse.Namespace,
    node: Node,
    author_id: int,
    held: dict[str, str] | None,
    client_core: int | None = None,
    sink_core: int | None = None,
) -> dict[str, Any]:
    """The sink's own ceiling, in this run: pre-signed raw HTTP/1.1 POSTs, no client work.

    A separate verifying sink with the same host count; each request is
    signed with the author's key *before* the clock starts and sent over a
    new connection (one per host, like the fan-out), 64 in flight. Whatever
    we reach is bounded by this figure on the same machine.
    """

    async def key(session: Any) -> tuple[str, str]:
        me = await session.get(Actor, author_id)
        return me.public_key_id, me.private_key_pem

    key_id, pem = node.with_session(key)
    base = free_port_range(args.hosts)
    with pinned(sink_core):
        sink = SinkProcess(args, base, 0, 0, "ceiling", held)
    body = json.dumps(note(Actor(ap_id=key_id.split("#")[0], username="x", domain="x",
                                 inbox_url="x", followers_url="x"), 0)).encode()  # fmt: skip
    requests = []
    for h in range(args.hosts):
        url = f"http://127.0.0.1:{base + h}/inbox"
        signed = sign_cavage("POST", url, {}, key_id, pem, body)
        head = "".join(f"{k}: {v}\r\n" for k, v in signed.items())
        requests.append(
            (base + h, (f"POST /inbox HTTP/1.1\r\n{head}Content-Type: application/activity+json"
                        f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                        ).encode() + body)
        )  # fmt: skip

    async def send_all() -> tuple[float, dict[int, int]]:
        limit = asyncio.Semaphore(64)
        statuses: dict[int, int] = {}

        async def one(port: int, raw: bytes) -> None:
            async with limit:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(raw)
                line = await reader.readline()
                await reader.read()
                writer.close()
                status = int(line.split()[1])
                statuses[status] = statuses.get(status, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(one(port, raw) for port, raw in requests))
        return time.perf_counter() - start, statuses

    try:
        sink_cpu = cpu_seconds([sink.proc.pid])
        with pinned(client_core):
            elapsed, statuses = asyncio.run(send_all())
        sink_cpu = cpu_seconds([sink.proc.pid]) - sink_cpu  # every request answered by now
        time.sleep(0.3)
    finally:
        report = sink.stop()
    return {
        "client_per_s": round(args.hosts / elapsed, 1),
        # What one request costs the sink (verifying, answering): the most it
        # can take on one core is the inverse, whoever sends.
        "sink_cpu_ms_per_request": round(sink_cpu * 1000 / args.hosts, 3),
        "sink_deliveries_per_s": report.get("deliveries_per_s"),
        "statuses": statuses,
        "results": report.get("results"),
    }


def first_arrival_ms(t0: float, arrived: float | None, sink: dict[str, Any]) -> float | None:
    """When the first request reached the sink, after ``t0``.

    The held-key sink (:mod:`bench.held_key_sink`) reports the moment itself
    (``first_at``, on the bench's clock). The stock sink (``--cold-sink``)
    reports only the span from its first to its last arrival, and the bench
    sees the last by polling every 10 ms (``arrived``): that estimate is an
    upper bound, too late by at most a poll. Polling for the first arrival is
    no good: the sink's core is busiest just then, taking in the first
    round's connections, and the bench's polls wait behind them (they saw it
    30 to 130 ms late).
    """
    if (first_at := sink.get("first_at")) is not None:
        return round((float(first_at) - t0) * 1000, 1)
    span = sink.get("span_s")
    if arrived is None or not span:
        return None
    return round((arrived - float(span) - t0) * 1000, 1)


def exact_arrival(polled: float | None, sink: dict[str, Any]) -> float | None:
    """The last arrival as the sink timed it (held-key sink), else as the bench's polls saw it."""
    if polled is None or (last_at := sink.get("last_at")) is None:
        return polled
    return min(polled, float(last_at))


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (a node's worker processes)."""
    return [pid, *sorted(children_of(pid))]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = stat_fields(pid)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def held_keys(args: argparse.Namespace, node: Node, author_id: int) -> dict[str, str] | None:
    """The author's key as the sink should hold it before the clock (None: ``--cold-sink``)."""
    if args.cold_sink:
        return None

    async def key(session: Any) -> dict[str, str]:
        me = await session.get(Actor, author_id)
        return {me.public_key_id: me.public_key_pem}

    return node.with_session(key)


def run(args: argparse.Namespace, slow: int, errors: int, tag: str) -> dict[str, Any]:
    node_core, sink_core = (0, 1) if args.pin else (None, None)
    node = Node(
        Path(tempfile.mkdtemp(dir=WORK)), args.backend, worker_processes=args.worker_processes
    )
    spy = sink = None
    try:
        node.migrate()
        with pinned(node_core):
            node.start()
        wanted = 1 + (args.worker_processes if args.worker_processes > 1 else 0)
        assert node.process is not None
        serve_pid = node.process.pid
        wait_until(lambda: len(process_tree(serve_pid)) >= wanted, timeout=30)
        warm_up(node, args, sink_core)
        # Free now, and the sink takes them once the node has its followers.
        base = free_port_range(args.hosts)
        degraded = {f"127.0.0.1:{base + i}" for i in range(slow + errors)}
        healthy = {f"127.0.0.1:{base + i}" for i in range(args.hosts)} - degraded
        author_id = seed(node, base, args.hosts, args.followers)
        held = held_keys(args, node, author_id)
        ceil = ceiling(args, node, author_id, held, node_core, sink_core) if args.ceiling else None
        with pinned(sink_core):  # the followers' servers; ours wrote them in above
            sink = SinkProcess(args, base, slow, errors, tag, held)
        with pinned(node_core):  # the node's core, while the node is idle
            signs = sign_rate()
        if sink_core is not None:  # our polling shares the sink's core, not the node's
            os.sched_setaffinity(0, {sink_core})
        node_cores = len(os.sched_getaffinity(serve_pid))
        if args.profile:
            assert node.process is not None
            spy = profiling.start(node.process.pid, WORK / f"fanout-profile-{tag}.txt")
            time.sleep(1)
        assert node.process is not None
        tree = process_tree(node.process.pid)
        # The web process publishes (audience, delivery rows); workers send.
        pids = {"node": tree, "web": tree[:1], "workers": tree[1:], "sink": [sink.proc.pid]}
        if len(tree) == 1:
            del pids["web"], pids["workers"]
        # CPU from the commit on, read by a sampler thread (:meth:`bench.timeline.Timeline.cpu`):
        # the post's answer may come back only when the fan-out is over.
        sampler = cpu_timeline.Timeline(
            pids, every=cpu_timeline.SAMPLE_EVERY if args.timeline else 0.01
        )
        sampler.start()
        t0, wall0, answered = publish_one(node, "bencher")
        deadline = t0 + args.time_limit
        sent = 0
        times: list[datetime] = []
        arrived: float | None = None
        first: float | None = None
        # Poll the sink (cheap) until every host was hit once; only then read
        # our database, so the bench itself does not compete for the CPU.
        with httpx.Client(timeout=5) as poll:
            while time.perf_counter() < deadline:
                if arrived is not None:
                    break
                total = poll.get(sink.stats_url()).json().get("total", 0)
                if first is None and total > 0:
                    first = time.perf_counter()
                if total >= args.hosts:
                    arrived = time.perf_counter()
                    break
                time.sleep(0.005 if first is None else 0.01)
        while time.perf_counter() < deadline:
            sent, _total, times = progress(node, healthy, healthy | degraded)
            if len(times) >= len(healthy):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - t0
        time.sleep(0.02)  # a sample after the end
        sampler.stop()
        inboxes = queued(node, healthy | degraded)
        cpu = {name: round(sampler.cpu(name, t0, t0 + elapsed), 2) for name in pids}
        time.sleep(0.5)  # let the sink count the last arrivals
        live = sink.stats()
        arrived = exact_arrival(arrived, live)
        cpu_at_arrival = {name: sampler.cpu(name, t0, arrived) for name in pids} if arrived else {}
    finally:
        profiling.stop(spy)
        report = sink.stop() if sink is not None else {}
        node.close()
    last = max(times) if times else None
    offsets = sorted((t - wall0).total_seconds() for t in times)
    timeline = {f"p{q}": round(offsets[min(len(offsets) - 1, len(offsets) * q // 100)] * 1000)
                for q in (0, 10, 50, 90, 100)} if offsets else {}  # fmt: skip
    e2e = len(times) / (last - wall0).total_seconds() if last else 0.0
    sink_rate = report.get("deliveries_per_s") or live.get("deliveries_per_s") or 0.0
    arrival = args.hosts / (arrived - t0) if arrived else 0.0
    return {
        "run": tag,
        "backend": args.backend,
        "hosts": args.hosts,
        "followers": args.followers,
        "slow_hosts": slow,
        "error_hosts": errors,
        "rows_queued": inboxes,
        "healthy_rows": len(healthy),
        "healthy_sent": len(times),
        "all_sent": sent,
        "complete": len(times) == len(healthy),
        "wait_s": round(elapsed, 2),
        "cpu_s": cpu,
        "recorded_ms": timeline,
        "sink": report or live,
        "load_average": os.getloadavg(),
        "ceiling": ceil,
        "sign_rate_per_s": round(signs, 1),
        "arrival_per_s": round(arrival, 1),
        "sink_deliveries_per_s": sink_rate,
        "healthy_e2e_per_s": round(e2e, 1),
        "ratio_arrival_to_sign": round(arrival / signs, 3) if signs else None,
        "ratio_sink_to_sign": round(sink_rate / signs, 3) if signs else None,
        "ratio_e2e_to_sign": round(e2e / signs, 3) if signs else None,
        "pinned": bool(args.pin),
        "node_cores": node_cores,
        "first_arrival_ms": first_arrival_ms(t0, arrived, live),
        # The teacher waits for this; with the workers in the web process it
        # shares the loop with the fan-out.
        "answer_after_commit_ms": round((answered - t0) * 1000, 1),
        "first_seen_polling_ms": round((first - t0) * 1000, 1) if first else None,
        "node_busy": (
            round(cpu_at_arrival["node"] / ((arrived - t0) * node_cores), 3)
            if arrived and cpu_at_arrival
            else None
        ),
        # The sink is one process: its share of one core while the requests arrived.
        "sink_busy": (
            round(cpu_at_arrival["sink"] / (arrived - t0), 3)
            if arrived and cpu_at_arrival
            else None
        ),
        "node_cpu_ms_per_delivery": (
            round(cpu_at_arrival["node"] * 1000 / args.hosts, 3)
            if arrived and cpu_at_arrival
            else None
        ),
        "timeline": (
            cpu_timeline.summary(sampler.bins(t0, arrived)) if args.timeline and arrived else None
        ),
    }


def show(result: dict[str, Any]) -> None:
    sink = result["sink"]
    print(
        f"\n== {result['run']} ({result['backend']}): {result['rows_queued']} rows for "
        f"{result['followers']} followers on {result['hosts']} hosts; "
        f"slow={result['slow_hosts']} error={result['error_hosts']}"
    )
    print(
        f"   sink: total={sink.get('total')} results={sink.get('results')} "
        f"per-host min/max={sink.get('per_host_min')}/{sink.get('per_host_max')} "
        f"key_fetches={sink.get('key_fetches')} span={sink.get('span_s')}s"
    )
    print(
        f"   healthy rows sent {result['healthy_sent']}/{result['healthy_rows']} "
        f"(all sent {result['all_sent']}) in {result['wait_s']} s; "
        f"CPU seconds meanwhile: {result['cpu_s']}"
    )
    print(f"   rows recorded sent, ms after the publish commit: {result['recorded_ms']}")
    busy = result["node_busy"]
    print(
        f"   first request at the sink {result['first_arrival_ms']} ms after the publish commit "
        f"(target <= 50; polling the sink saw it at {result['first_seen_polling_ms']} ms); "
        f"the post's answer {result['answer_after_commit_ms']} ms after it; "
        f"node CPU busy "
        f"{'?' if busy is None else f'{busy:.0%}'} of {result['node_cores']} core(s) "
        f"from the commit to the last arrival (target >= 90%)"
        + ("; pinned: node on core 0, sink on core 1" if result["pinned"] else "")
    )
    print(
        f"   deliveries/s: arrival {result['arrival_per_s']}, "
        f"healthy end-to-end {result['healthy_e2e_per_s']}, "
        f"sink burst {result['sink_deliveries_per_s']}; "
        f"RSA-2048 signs/s on one core {result['sign_rate_per_s']}"
    )
    print(
        f"   ratio to the sign rate: {result['ratio_arrival_to_sign']} (arrival, target >= 0.5) "
        f"/ {result['ratio_e2e_to_sign']} (end-to-end) "
        f"/ {result['ratio_sink_to_sign']} (sink burst)"
    )
    per = result["node_cpu_ms_per_delivery"]
    if per and result["sink_busy"] is not None:
        signs = result["sign_rate_per_s"]
        print(
            f"   node CPU per delivery {per} ms = {per * signs / 1000:.2f} signatures' worth; "
            f"a core of the node's alone would carry {1000 / per:.0f}/s = "
            f"{1000 / per / signs:.3f} x the sign rate; sink CPU busy {result['sink_busy']:.0%} "
            f"of its core (near 100%: the sink, not the node, set the arrival rate)"
        )
    if result["ceiling"]:
        c = result["ceiling"]
        print(
            f"   sink ceiling (pre-signed raw POSTs, no client work, first send to last answer): "
            f"{c['client_per_s']}/s {c['results']} = "
            f"{c['client_per_s'] / result['sign_rate_per_s']:.3f} x sign rate; our arrival rate "
            f"is {result['arrival_per_s'] / c['client_per_s']:.2f} of the ceiling"
        )
        per_request = c["sink_cpu_ms_per_request"]
        if per_request:
            print(
                f"   the sink spends {per_request} ms of CPU on a request (its idle timers "
                f"included): on one core it takes at most {1000 / per_request:.0f}/s = "
                f"{1000 / per_request / result['sign_rate_per_s']:.3f} x the sign rate"
            )
    if result.get("timeline"):
        cpu_timeline.show(result["timeline"])
    print(f"   load average at the end: {result['load_average']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="delivery processes beside the web process (default: one per core; 1 = in-process)",
    )
    parser.add_argument(
        "--runs",
        default="clean,degraded",
        help="comma-separated runs, in order (repeat them to average out a noisy machine)",
    )
    parser.add_argument("--slow-hosts", type=int, default=10)
    parser.add_argument("--slow-ms", type=float, default=2000.0)
    parser.add_argument("--error-hosts", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=60.0, help="per run, seconds")
    parser.add_argument("--profile", action="store_true", help="py-spy the node (raw stacks)")
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="the node's and the sink's CPU per 10 ms from the commit, and the node's idle spells",
    )
    parser.add_argument(
        "--pin", action="store_true", help="node on core 0, sink (and this script) on core 1"
    )
    parser.add_argument(
        "--cold-sink",
        action="store_true",
        help="the sink fetches the author's key on the first request instead of holding it",
    )
    parser.add_argument(
        "--no-ceiling", dest="ceiling", action="store_false", help="skip the sink ceiling run"
    )
    args = parser.parse_args()
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        parser.error("--pin needs two cores")
    WORK.mkdir(exist_ok=True)
    runs = []
    for i, tag in enumerate(args.runs.split(",")):
        if tag not in ("clean", "degraded"):
            parser.error(f"unknown run {tag!r}")
        args.ceiling = args.ceiling and i == 0  # once is enough
        slow, errors = (0, 0) if tag == "clean" else (args.slow_hosts, args.error_hosts)
        runs.append(run(args, slow, errors, tag))
        show(runs[-1])
    clean = [r for r in runs if r["run"] == "clean"]
    degraded = [r for r in runs if r["run"] == "degraded"]
    if clean and degraded:

        def ratio(name: str) -> float:
            mean_degraded = sum(float(r[name]) for r in degraded) / len(degraded)
            mean_clean = sum(float(r[name]) for r in clean) / len(clean)
            return mean_degraded / max(mean_clean, 1e-9)

        print(
            f"\n   degraded/clean (means): arrival rate {ratio('arrival_per_s'):.2f}, "
            f"healthy end-to-end rate {ratio('healthy_e2e_per_s'):.2f}; "
            f"normalized by each run's sign rate (the machine's load changes): "
            f"{ratio('ratio_arrival_to_sign'):.2f}, {ratio('ratio_e2e_to_sign'):.2f}"
        )
    out = WORK / f"fanout-{int(time.time())}.json"
    out.write_text(json.dumps(runs, indent=2, default=str) + "\n")
    print(f"\n   results: {out}")


if __name__ == "__main__":
    main()
