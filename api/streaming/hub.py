"""The streaming hub of one serving process: poll the event rows, fan them out, watch tokens.

Events are rows (:class:`storage.models.StreamEvent`), written by whichever
process caused them, so several ``serve`` processes and separate workers on
one database all see every event. While anyone is connected, each process
reads new rows every :data:`POLL_SECONDS` (one query when nothing happened),
renders them per viewer (:mod:`api.streaming.fanout`) and queues the frames
on its own connections.

Ids are time-sortable but rows commit in any order, so each poll rereads the
last :data:`LOOKBACK` of ids and remembers which it has sent: an event whose
transaction committed a few seconds after it was written is still sent,
once. A connection only gets events made after it opened.

Each poll also checks every connected token: a revoked or expired one (or a
disabled account) ends its connections at once. Old rows are pruned every
:data:`PRUNE_EVERY`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.streaming.fanout import Cycle, frames_for, load_events
from api.streaming.streams import Subscriber
from storage.ids import min_id_for_ms
from storage.models import AccessToken, Account, StreamEvent
from storage.models.streams import RETENTION
from storage.types import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
LOOKBACK = timedelta(seconds=15)
PRUNE_EVERY = timedelta(minutes=1)
REVOKED = "The access token was revoked"


class StreamHub:
    def __init__(self, node: NodeContext) -> None:
        self.node = node
        self.subscribers: set[Subscriber] = set()
        self._sent: set[int] = set()
        self._start_id = min_id_for_ms(int(time.time() * 1000))
        self._wake = asyncio.Event()
        self._next_prune = 0.0

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)
        self._wake.set()

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll while anyone listens, prune now and then, until ``stop``."""
        while not stop.is_set():
            try:
                if self.subscribers:
                    await self.poll_once()
                if time.monotonic() >= self._next_prune:
                    await self.prune()
                    self._next_prune = time.monotonic() + PRUNE_EVERY.total_seconds()
            except Exception:
                log.exception("streaming poll failed")
            self._wake.clear()
            timeout = POLL_SECONDS if self.subscribers else PRUNE_EVERY.total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(self._wake, stop), timeout)
        for subscriber in list(self.subscribers):
            subscriber.close("The server is shutting down")

    async def poll_once(self) -> int:
        """Send what is new; returns how many events were new."""
        floor = max(self._start_id, min_id_for_ms(int(time.time() * 1000) - _ms(LOOKBACK)))
        async with self.node.sessions() as session:
            await self._check_tokens(session)
            ids = (
                await session.exec(select(StreamEvent.id).where(col(StreamEvent.id) > floor))
            ).all()
            fresh = [i for i in ids if i is not None and i not in self._sent]
            self._sent = {i for i in self._sent if i > floor}
            if not fresh:
                return 0
            self._sent.update(fresh)
            events = await load_events(session, fresh)
            cycle = Cycle(session, self.node)
            for event in events:
                await self._fan_out(cycle, event)
        return len(fresh)

    async def _fan_out(self, cycle: Cycle, event: StreamEvent) -> None:
        for subscriber in list(self.subscribers):
            if subscriber.closed_reason is not None or (event.id or 0) < subscriber.start_id:
                continue
            viewer = await cycle.actor(subscriber.actor_id)
            if viewer is None:
                continue
            try:
                frames = await frames_for(cycle, event, subscriber, viewer)
            except Exception:
                log.exception("cannot render stream event %s", event.id)
                continue
            for frame in frames:
                subscriber.send(frame)

    async def _check_tokens(self, session: AsyncSession) -> None:
        live = list(self.subscribers)
        if not live:
            return
        ids = list({s.token_id for s in live})
        now = utcnow()
        rows = await session.exec(
            select(AccessToken.id)
            .join(Account, col(Account.id) == AccessToken.account_id)
            .where(
                col(AccessToken.id).in_(ids),
                col(AccessToken.revoked_at).is_(None),
                or_(col(AccessToken.expires_at).is_(None), col(AccessToken.expires_at) > now),
                col(Account.disabled).is_(False),
            )
        )
        usable = set(rows.all())
        for subscriber in live:
            if subscriber.token_id not in usable:
                subscriber.close(REVOKED)

    async def prune(self) -> None:
        async with self.node.sessions() as session:
            await session.exec(
                delete(StreamEvent).where(col(StreamEvent.created_at) < utcnow() - RETENTION)
            )
            await session.commit()


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
