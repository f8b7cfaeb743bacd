"""The loadgen sink as the fan-out benches run it: the followers' servers, and their ceiling.

``aploadgen sink`` (``../shared/loadgen``) serves one fake host per port and
verifies every Digest and HTTP signature; :mod:`bench.held_key_sink` starts
it holding our author's key, as her followers' servers do since the follow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import httpx

from bench.held_key_sink import HELD_KEYS
from bench.machine import ROOT, WORK, cpu_seconds, free_port_range, pinned
from federation.signatures.cavage import sign_cavage
from storage.models import Actor
from tests.support.node import Node
from tests.support.outbox import note

LOADGEN = ROOT.parent / "shared" / "loadgen"


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


def held_keys(args: argparse.Namespace, node: Node, author_id: int) -> dict[str, str] | None:
    """The author's key as the sink should hold it before the clock (None: ``--cold-sink``)."""
    if args.cold_sink:
        return None

    async def key(session: Any) -> dict[str, str]:
        me = await session.get(Actor, author_id)
        return {me.public_key_id: me.public_key_pem}

    return node.with_session(key)


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
