"""PassBudget: a few turns per pass of the event loop, every caller served, in order."""

from __future__ import annotations

import asyncio

import pytest

from federation.pass_budget import PassBudget


class Passes:
    """Counts the loop's passes: a callback that schedules itself runs once in each."""

    def __init__(self) -> None:
        self.now = 0
        self._handle: asyncio.Handle | None = None

    def start(self) -> None:
        self._handle = asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self.now += 1
        self._handle = asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        assert self._handle is not None
        self._handle.cancel()


async def turns(budget: PassBudget, callers: int) -> list[tuple[int, int]]:
    """(caller, pass) for each caller, in the order their turns came."""
    passes = Passes()
    taken: list[tuple[int, int]] = []

    async def caller(n: int) -> None:
        await budget.turn()
        taken.append((n, passes.now))

    passes.start()
    try:
        await asyncio.gather(*(caller(n) for n in range(callers)))
    finally:
        passes.stop()
    return taken


async def test_at_most_per_pass_turns_go_on_in_one_pass() -> None:
    taken = await turns(PassBudget(4), 20)
    per_pass: dict[int, int] = {}
    for _caller, at in taken:
        per_pass[at] = per_pass.get(at, 0) + 1
    assert len(taken) == 20
    assert max(per_pass.values()) == 4
    assert len(per_pass) >= 5  # twenty turns need at least five passes


async def test_turns_come_in_the_order_they_were_asked() -> None:
    taken = await turns(PassBudget(3), 12)
    assert [caller for caller, _at in taken] == list(range(12))


async def test_with_room_a_turn_goes_on_without_waiting_for_a_pass() -> None:
    budget = PassBudget(2)
    passes = Passes()
    passes.start()
    try:
        await budget.turn()
        await budget.turn()
        assert passes.now == 0  # both in the pass that asked
        await budget.turn()
        assert passes.now >= 1  # the third waited for the next
    finally:
        passes.stop()


async def test_a_cancelled_waiter_gives_its_place_to_the_next() -> None:
    budget = PassBudget(1)
    first, second, third = (asyncio.ensure_future(budget.turn()) for _ in range(3))
    await asyncio.sleep(0)  # all three asked in one pass: the first went on, two wait
    assert first.done() and not second.done() and not third.done()
    second.cancel()
    await asyncio.wait_for(third, 1)
    assert second.cancelled()
    await asyncio.wait_for(budget.turn(), 1)  # and nothing is left stuck behind


def test_per_pass_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PassBudget(0)
