"""Sampling a node's CPU with py-spy while a benchmark runs (``--profile``).

Raw stacks of the node and its child processes, only samples that hold the
GIL, so the profile shows CPU time and not waiting. py-spy is not a project
dependency: ``.venv/bin/pip install py-spy`` first.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

SPY = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "py-spy"


def start(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    """Start sampling ``pid`` and its children into ``out`` (None without py-spy)."""
    if not SPY.exists():
        print("   --profile needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
        return None
    cmd = [str(SPY), "record", "--pid", str(pid), "--subprocesses", "--gil"]
    cmd += ["--rate", "250", "--format", "raw", "-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL)


def stop(spy: subprocess.Popen[bytes] | None) -> None:
    """Stop sampling; py-spy writes its file on SIGINT."""
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
