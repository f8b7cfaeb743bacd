"""A few CPU-heavy steps per pass of the event loop, the rest in the passes after.

A pass of the loop runs every callback that was ready when it began. In a
fan-out, dozens of connections open in the same instant, and each send's
next step signs its request (a third of a millisecond of RSA): one pass
could sign sixty of them, 20 ms in which nothing else on the loop moves. An
API request served by the same process (a teacher's post, answered while
its own fan-out runs) awaits the database a dozen times, each await a pass:
it was answered 0.2 to 0.5 s late. The worker's own bookkeeping (claims,
outcomes) waits the same way. Signing a few per pass keeps every pass short
without signing any less: the deferred signatures are made in the next
passes, in the order they asked.
"""

from __future__ import annotations

import asyncio
from collections import deque


class PassBudget:
    """At most ``per_pass`` :meth:`turn` calls go on in one pass of the loop; the others wait."""

    def __init__(self, per_pass: int) -> None:
        if per_pass < 1:
            raise ValueError("per_pass must be at least 1")
        self._per_pass = per_pass
        self._used = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._next_pass_due = False

    async def turn(self) -> None:
        """Return in this pass if it has room (and nobody waits before us), else a later one."""
        if self._used < self._per_pass and not self._waiting:
            self._used += 1
            self._at_next_pass()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._at_next_pass()
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.cancelled():
                self._used = max(0, self._used - 1)  # a turn handed over and not taken
            elif waiter in self._waiting:
                self._waiting.remove(waiter)
            raise

    def _at_next_pass(self) -> None:
        if not self._next_pass_due:
            self._next_pass_due = True
            asyncio.get_running_loop().call_soon(self._next_pass)

    def _next_pass(self) -> None:
        """A new pass began: hand its turns to those waiting, oldest first.

        They resume in the pass after this one (a woken task is scheduled,
        not run), so their turns are counted until the next reset.
        """
        self._next_pass_due = False
        self._used = 0
        while self._waiting and self._used < self._per_pass:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._used += 1
        if self._used or self._waiting:
            self._at_next_pass()
