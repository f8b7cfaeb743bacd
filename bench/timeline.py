"""Where a fan-out's wall time goes: the node's and the sink's CPU, bin by bin (``--timeline``).

``bench.fanout`` prints one busy fraction for the whole fan-out; this says
*when* the node waited and what the sink did meanwhile. A thread of the
bench (on the sink's core when pinned) reads every thread's run time from
``/proc/PID/task/*/schedstat`` (nanoseconds, exact, unlike the 10 ms ticks
of ``/proc/PID/stat``) every couple of milliseconds, on ``CLOCK_MONOTONIC``
like the commit's beacon stamp, so the bins line up with the commit. A
thread that ends takes its run time with it: a bin where that happens is
clamped at zero.
"""

from __future__ import annotations

import contextlib
import glob
import threading
import time
from typing import Any

SAMPLE_EVERY = 0.002
BIN = 0.010
#: A node bin below this is idle; stretches of idle bins are reported.
IDLE = 0.10


def _run_ns(paths: list[str]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(OSError, ValueError, IndexError), open(path) as f:
            total += int(f.read().split()[0])
    return total


class Timeline:
    """Samples the run time of each group of processes (``{"node": [pid, ...], ...}``)."""

    def __init__(self, groups: dict[str, list[int]], every: float = SAMPLE_EVERY) -> None:
        self.groups = groups
        self.every = every
        self.samples: list[tuple[float, dict[str, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _threads(self) -> dict[str, list[str]]:
        return {
            name: [p for pid in pids for p in glob.glob(f"/proc/{pid}/task/*/schedstat")]
            for name, pids in self.groups.items()
        }

    def _sample(self) -> None:
        paths, listed = self._threads(), time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now - listed > 0.2:  # threads come and go (the database's, the pool's)
                paths, listed = self._threads(), now
            self.samples.append((now, {name: _run_ns(p) for name, p in paths.items()}))
            time.sleep(self.every)

    def start(self) -> None:
        """Start sampling; return once the first sample is in (a moment after it can be read)."""
        self._thread.start()
        while not self.samples and self._thread.is_alive():
            time.sleep(0.0005)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def cpu(self, name: str, t0: float, t1: float) -> float:
        """CPU seconds ``name``'s processes ran from ``t0`` to ``t1`` (samples interpolated).

        The bench reads this rather than the processes' ``/proc/PID/stat``
        when the answer to the post came back: with the workers in the web
        process, that answer can come half a second after the commit, and
        the CPU before it would go uncounted.
        """
        return max(0.0, self._ran_at(name, t1) - self._ran_at(name, t0)) / 1e9

    def _ran_at(self, name: str, t: float) -> float:
        """``name``'s run time (ns) at ``t``, on the straight line between the samples around it."""
        for (at0, ran0), (at1, ran1) in zip(self.samples, self.samples[1:], strict=False):
            if at0 <= t <= at1:
                share = (t - at0) / (at1 - at0) if at1 > at0 else 0.0
                return ran0[name] + share * (ran1[name] - ran0[name])
        raise ValueError("no samples around that moment: start the sampler before it")

    def bins(self, t0: float, t1: float) -> list[dict[str, float]]:
        """Busy fraction of each group (1.0 = one core) per :data:`BIN` from ``t0`` to ``t1``."""
        out: list[dict[str, float]] = []
        start: tuple[float, dict[str, int]] | None = None
        for at, ran in self.samples:
            if at < t0 or at > t1:
                continue
            if start is None:
                start = (at, ran)
                continue
            if at - start[0] >= BIN:
                span = at - start[0]
                busy = {n: max(0.0, (ran[n] - start[1][n]) / 1e9 / span) for n in ran}
                out.append({"at_ms": round((start[0] - t0) * 1000, 1), **busy})
                start = (at, ran)
        return out


def summary(bins: list[dict[str, float]]) -> dict[str, Any]:
    """The node's idle stretches (≥ 2 bins below :data:`IDLE`) and the sink's work in them."""
    stretches: list[dict[str, float]] = []
    run: list[dict[str, float]] = []
    for row in [*bins, {"at_ms": float("inf"), "node": 1.0, "sink": 0.0}]:
        if row["node"] < IDLE:
            run.append(row)
            continue
        if len(run) >= 2:
            stretches.append(
                {
                    "from_ms": run[0]["at_ms"],
                    "for_ms": round(run[-1]["at_ms"] - run[0]["at_ms"] + BIN * 1000, 1),
                    "sink_busy": round(sum(r.get("sink", 0.0) for r in run) / len(run), 2),
                }
            )
        run = []
    return {"bins": bins, "idle": stretches}


def show(found: dict[str, Any]) -> None:
    bins = found["bins"]
    per_line = 25
    print(f"   timeline, busy % per {BIN * 1000:.0f} ms from the commit (node / sink):")
    for i in range(0, len(bins), per_line):
        chunk = bins[i : i + per_line]
        at = chunk[0]["at_ms"]
        for name in ("node", "sink"):
            cells = " ".join(f"{min(99, round(100 * row.get(name, 0.0))):2d}" for row in chunk)
            print(f"   {name:>4} +{at:6.0f} ms  {cells}")
    for idle in found["idle"]:
        print(
            f"   node idle from +{idle['from_ms']:.0f} ms for {idle['for_ms']:.0f} ms; "
            f"the sink meanwhile {idle['sink_busy']:.0%} busy"
        )
