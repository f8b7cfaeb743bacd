"""Signing turns (:mod:`outbox.turns`): one signature per pass of the event loop, in order."""

from __future__ import annotations

import asyncio

import pytest

from outbox.turns import SignTurns


async def _signer(turns: SignTurns, name: str, log: list[str]) -> None:
    await turns.take()
    try:
        log.append(f"sign {name}")
        # What the send does right after signing: a socket event, a callback.
        asyncio.get_running_loop().call_soon(log.append, f"send {name}")
    finally:
        turns.give()


async def test_the_loop_runs_between_two_signatures_and_turns_go_in_order() -> None:
    turns, log = SignTurns(), []
    await asyncio.gather(*(_signer(turns, name, log) for name in "abcd"))
    # Without turns every task would sign in the same pass: sign a, b, c, d, then sends.
    assert log == ["sign a", "send a", "sign b", "send b", "sign c", "send c", "sign d", "send d"]
    assert turns.waiting == 0


async def test_a_free_turn_is_taken_at_once() -> None:
    turns = SignTurns()
    await turns.take()  # no waiting: nothing else wants it
    turns.give()
    await asyncio.sleep(0)  # handed on (to nobody) at the next pass
    await asyncio.wait_for(turns.take(), 0.01)


async def test_a_cancelled_waiter_gives_up_its_place() -> None:
    turns, log = SignTurns(), []
    await turns.take()
    gone = asyncio.create_task(_signer(turns, "gone", log))
    stays = asyncio.create_task(_signer(turns, "stays", log))
    await asyncio.sleep(0)
    gone.cancel()
    turns.give()
    await stays
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert log == ["sign stays", "send stays"]


async def test_a_turn_handed_to_a_cancelled_waiter_is_passed_on() -> None:
    turns, log = SignTurns(), []
    await turns.take()
    gone = asyncio.create_task(_signer(turns, "gone", log))
    stays = asyncio.create_task(_signer(turns, "stays", log))
    await asyncio.sleep(0)
    turns.give()
    await asyncio.sleep(0)  # the turn is handed to "gone"; it has not run yet
    gone.cancel()
    await asyncio.wait_for(stays, 1)
    assert log == ["sign stays", "send stays"]
