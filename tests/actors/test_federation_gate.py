"""The federation gate's reloads: shared by concurrent callers, never stale after invalidate."""

from __future__ import annotations

import asyncio
from typing import Any

from actors.federation_gate import FederationGate
from storage.engine import SessionMaker


class Counting:
    """The node's sessionmaker, counting the sessions opened through it."""

    def __init__(self, sessions: SessionMaker) -> None:
        self.sessions, self.opened = sessions, 0
        self.reading = asyncio.Event()

    def __call__(self) -> Any:
        self.opened += 1
        self.reading.set()
        return self.sessions()


async def test_a_fan_out_finding_the_rules_stale_reads_them_once(sessions: SessionMaker) -> None:
    counting = Counting(sessions)
    gate = FederationGate(counting)  # type: ignore[arg-type]
    # Sixty-four sends start at once (a fan-out) and every one asks the gate.
    refusals = await asyncio.gather(*(gate.refusal(f"127.0.0.1:{p}") for p in range(64)))
    assert refusals == [None] * 64
    assert counting.opened == 1
    await gate.refusal("127.0.0.1:1")  # fresh: no read at all
    assert counting.opened == 1


async def test_an_invalidation_during_a_read_makes_the_next_caller_read_again(
    sessions: SessionMaker,
) -> None:
    counting = Counting(sessions)
    gate = FederationGate(counting)  # type: ignore[arg-type]
    first = asyncio.ensure_future(gate.rules())
    await counting.reading.wait()  # the read has begun
    gate.invalidate()  # an admin's change committed meanwhile
    await first
    await gate.rules()
    assert counting.opened == 2
