"""The machine a benchmark runs on: its cores' sign rate, pinning, free ports, CPU time.

Shared by the benches that start a node and a sink (:mod:`bench.fanout`,
:mod:`bench.community`); results and logs go under :data:`WORK`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.procfs import children_of, stat_fields

ROOT = Path(__file__).resolve().parents[1]
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
