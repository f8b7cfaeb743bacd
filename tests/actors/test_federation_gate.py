"""The federation gate's reloads: shared by concurrent callers, never stale after invalidate
or a change committed anywhere on the machine, and a little stale only while a reload runs
beside."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import delete

from actors.federation_gate import MAX_STALE_SECONDS, REFRESH_SECONDS, FederationGate
from content.moderation import domains
from storage.engine import SessionMaker
from storage.models.safety import DomainPolicy, DomainSeverity
from storage.wakeups import RULES, queue_beacon


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


async def test_rules_a_little_stale_are_used_while_they_reload(sessions: SessionMaker) -> None:
    """A fan-out after idle seconds does not wait for a read; much older rules are waited for."""
    counting = Counting(sessions)
    now = [1000.0]
    gate = FederationGate(counting, clock=lambda: now[0])  # type: ignore[arg-type]
    await gate.rules()
    assert counting.opened == 1
    async with sessions() as session:
        session.add(DomainPolicy(domain="blocked.example", severity=DomainSeverity.SUSPEND))
        await session.commit()  # as the CLI would: no invalidate() in this process
    now[0] += REFRESH_SECONDS + 1
    # A little stale: answered from the rules in hand, and a reload starts beside.
    counting.reading.clear()
    assert await gate.refusal("blocked.example") is None
    await asyncio.wait_for(counting.reading.wait(), 5)
    assert counting.opened == 2
    deadline = time.monotonic() + 5
    while await gate.refusal("blocked.example") is None:  # until the reload lands
        assert time.monotonic() < deadline, "the reload never landed"
        await asyncio.sleep(0.01)
    assert counting.opened == 2
    # Far too old: the caller waits for the read.
    async with sessions() as session:
        await session.exec(delete(DomainPolicy))  # type: ignore[call-overload]
        await session.commit()
    now[0] += MAX_STALE_SECONDS + 1
    assert await gate.refusal("blocked.example") is None
    assert counting.opened == 3


async def test_a_change_committed_anywhere_is_seen_at_the_next_decision(
    sessions: SessionMaker,
) -> None:
    """The CLI (another process) blocks a domain: no wait for the refresh, stale or not."""
    counting = Counting(sessions)
    gate = FederationGate(
        counting,  # type: ignore[arg-type]
        clock=lambda: 1000.0,  # no time passes: only the beacon can tell
        changes=queue_beacon(sessions, RULES),
    )
    assert await gate.refusal("blocked.example") is None
    async with sessions() as session:
        await domains.block(session, "blocked.example", public_comment="spam")
        await session.commit()
    assert await gate.refusal("blocked.example") is not None
    assert counting.opened == 2
    assert await gate.refusal("blocked.example") is not None
    assert counting.opened == 2  # one reload per change
    async with sessions() as session:
        await domains.unblock(session, "blocked.example")
        await session.rollback()  # nothing changed: nothing stamped
    assert await gate.refusal("blocked.example") is not None
    assert counting.opened == 2
