"""Sends take turns to sign: one signature per pass of the event loop.

Why: an RSA-2048 signature is the largest piece of a delivery's CPU (about
half a millisecond), and it is synchronous. When a fan-out starts sixty-four
sends at once, each one signs as soon as it runs, all in the same pass of
the loop: the first request could leave only after the sixty-fourth
signature, and the answers that arrive meanwhile wait too. With turns, a
send waits for its turn, signs, and hands the turn on at the *next* pass of
the loop, so between two signatures the loop attends to the sockets: the
first request leaves after one signature, answers are read and outcomes
recorded while the rest are signed, and signing, sending and bookkeeping
overlap instead of alternating in bursts.

The turn is handed in order of asking (first come, first signed), and a
send that is cancelled while it waits gives up its place.
"""

from __future__ import annotations

import asyncio
from collections import deque


class SignTurns:
    """A turn to sign, passed on one loop pass after it is given back.

    Use as ``await turns.take()`` … sign … ``turns.give()`` (always give, even
    when signing raised): :class:`federation.client.SafeClient` does so around
    the signature of a delivery it is handed a turn for.
    """

    def __init__(self) -> None:
        self._busy = False
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def take(self) -> None:
        if not self._busy and not self._waiting:
            self._busy = True
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give()  # it was handed to us as we were cancelled: hand it on
            raise

    def give(self) -> None:
        """Give the turn back; the next waiter gets it at the loop's next pass."""
        asyncio.get_running_loop().call_soon(self._pass_on)

    def _pass_on(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the turn is its now: still busy
                return
        self._busy = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)
