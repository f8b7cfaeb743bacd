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
   outbox beacon, see :func:`bench.fanout_node.publish_one`) and waits
   until every healthy host's row is sent, or the time limit. Before all
   this the node has delivered once already
   (:func:`bench.fanout_node.warm_up`).

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
reached the sink after the publish commit (:func:`bench.sink.first_arrival_ms`), and
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
import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench import profiling
from bench import timeline as cpu_timeline
from bench.fanout_node import progress, publish_one, queued, seed, warm_up
from bench.machine import WORK, free_port_range, pinned, process_tree, sign_rate
from bench.sink import SinkProcess, ceiling, exact_arrival, first_arrival_ms, held_keys
from tests.support.node import Node, wait_until


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
