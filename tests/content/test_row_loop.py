"""content.row_loop.run_passes: a backlog drains without pauses, a failure does not
end the loop, an idle loop pauses, and stop ends it at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from content.row_loop import run_passes


async def test_passes_drain_survive_a_failure_and_stop(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    results: list[int | Exception] = [3, 2, RuntimeError("boom"), 1, 0]
    calls: list[float] = []

    async def one_pass() -> int:
        calls.append(time.monotonic())
        result = results.pop(0) if results else 0
        if isinstance(result, Exception):
            raise result
        if not results:
            stop.set()
        return result

    started = time.monotonic()
    await asyncio.wait_for(run_passes(stop, one_pass, 0.2, "test worker"), 5)
    assert len(calls) == 5
    # Work done: the next pass at once; the failure pauses once (0.2 s), no more.
    assert calls[1] - calls[0] < 0.1 and calls[2] - calls[1] < 0.1
    assert calls[3] - calls[2] >= 0.15
    assert calls[4] - calls[3] < 0.1
    assert time.monotonic() - started < 1.0  # the last, idle pass ends at stop: no pause
    assert "test worker iteration failed" in caplog.text


async def test_an_idle_loop_waits_for_stop() -> None:
    stop = asyncio.Event()
    calls = 0

    async def idle() -> int:
        nonlocal calls
        calls += 1
        return 0

    task = asyncio.create_task(run_passes(stop, idle, 30.0, "idle worker"))
    await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, 1)
    assert calls == 1
