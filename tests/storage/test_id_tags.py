"""Process tags: every live process of a node holds its own, and a dead one's is free again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.node import ROOT

Claimers = list[subprocess.Popen[str]]

CLAIM = """
import sys, time
from pathlib import Path
from storage.id_tags import claim_process_tag
from storage.ids import new_id
tag = claim_process_tag(Path(sys.argv[1]))
again = claim_process_tag(Path(sys.argv[1]))
print(tag, again, (new_id() >> 10) & 0x3F, flush=True)
time.sleep(60)
"""


@pytest.fixture
def claimers() -> Iterator[Claimers]:
    started: Claimers = []
    yield started
    for process in started:
        process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


def claim(data_dir: Path, claimers: Claimers) -> tuple[int, subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", CLAIM, str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    claimers.append(process)
    assert process.stdout is not None
    tag, again, in_id = process.stdout.readline().split()
    assert tag == again == in_id  # one claim per process, and its ids carry it
    return int(tag), process


def test_live_processes_hold_distinct_tags_and_a_dead_ones_comes_back(
    tmp_path: Path, claimers: Claimers
) -> None:
    held = [claim(tmp_path, claimers) for _ in range(3)]
    assert [tag for tag, _ in held] == [0, 1, 2]
    _, second = held[1]
    os.kill(second.pid, signal.SIGKILL)  # no clean-up runs: the kernel drops the lock
    second.wait()
    assert claim(tmp_path, claimers)[0] == 1
    assert claim(tmp_path, claimers)[0] == 3
