"""Delivery outcomes waiting to be written, and when a batch of them is due.

A commit per finished send would cost a fan-out more than its sends, and a
commit per second would leave a slow fan-out's outcomes unwritten too long.
So the worker's outcome writer waits here: at least ``flush_every`` after
the first outcome; then until ``flush_size`` wait, or nothing more is
coming soon (no send in flight, no row waiting), and at the latest
``flush_max_wait`` after the first (:class:`outbox.config.DeliveryConfig`).
A claim of the worker's loop that comes first takes the outcomes with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from outbox.config import DeliveryConfig
from outbox.record import Result


class Outcomes:
    """The outcome buffer of one :class:`outbox.delivery.DeliveryWorker`."""

    def __init__(self, config: DeliveryConfig) -> None:
        self.config = config
        self.waiting: list[Result] = []
        #: Set while outcomes wait to be written; ``_full`` when a batch is ready now.
        self._has_some = asyncio.Event()
        self._full = asyncio.Event()
        self._first_at = 0.0
        self.closing = False

    def add(self, result: Result) -> None:
        if not self.waiting:
            self._first_at = asyncio.get_running_loop().time()
            self._has_some.set()
        self.waiting.append(result)
        if len(self.waiting) >= self.config.flush_size:
            self._full.set()

    def settle(self) -> None:
        """Nothing more is coming soon: write what there is."""
        self._full.set()

    def take(self) -> list[Result]:
        """Every outcome waiting (the caller writes them, or gives them back)."""
        batch, self.waiting = self.waiting, []
        self._has_some.clear()
        self._full.clear()
        return batch

    def give_back(self, batch: list[Result]) -> None:
        """A write failed: the outcomes wait again, for a whole ``flush_max_wait``."""
        if batch:
            self.waiting = batch + self.waiting
            self._first_at = asyncio.get_running_loop().time()
            self._has_some.set()

    async def due(self, is_idle: Callable[[], bool]) -> None:
        """Return when a batch should be written (or the worker closes).

        ``is_idle`` is asked again after ``flush_every``: a fan-out that
        ended meanwhile is written at once.
        """
        await self._has_some.wait()
        if self.closing:
            return
        cfg = self.config
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, self._first_at + cfg.flush_every - loop.time()))
        if is_idle():
            self.settle()
        left = self._first_at + cfg.flush_max_wait - loop.time()
        if not self._full.is_set() and left > 0 and not self.closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), left)

    def close(self) -> None:
        """The worker stops: whoever waits in :meth:`due` returns now."""
        self.closing = True
        self._has_some.set()
        self._full.set()
