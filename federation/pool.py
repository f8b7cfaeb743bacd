"""The transport's pool of idle HTTP/1.1 connections, and its cap on connections in all.

A fan-out sends thousands of small POSTs, many to the same few origins:
reusing a connection spares a resolve, a TCP and a TLS handshake each time.
The pool keeps a few idle connections per origin for a few seconds (less
than the peers' own keep-alive, so we let go before they do), never more
than ``max_connections`` in all, and a request that finds no room waits at
most the pool timeout. It is apart from the transport so that the
bookkeeping of slots and idle sockets is in one place, whoever connects or
speaks HTTP over them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass

import httpx

from federation.http1 import Http1Connection

#: Scheme, host and port: the connections one origin's requests may share.
Origin = tuple[bytes, str, int]


@dataclass(frozen=True)
class PoolLimits:
    max_connections: int = 100
    #: Idle connections kept per origin, and how long (seconds). Shorter than
    #: the 5 s keep-alive of uvicorn and Node, so we let go before they do.
    max_idle_per_origin: int = 8
    keepalive_expiry: float = 4.0


class ConnectionPool:
    """Slots for connections in use, and the idle connections kept by origin.

    A request takes a slot (:meth:`take_slot`) and keeps it until it gives
    its connection back (:meth:`release`) or drops it (:meth:`discard`).
    """

    def __init__(self, limits: PoolLimits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.max_connections)
        # Idle connections by origin (most recently used last), and all of
        # them oldest first, for the cap on idle sockets.
        self._idle: dict[Origin, list[Http1Connection]] = {}
        self._lru: OrderedDict[Http1Connection, Origin] = OrderedDict()
        self.closed = False

    async def take_slot(self, limit: float | None, request: httpx.Request | None) -> None:
        slots = self._slots
        if not slots.locked():
            await slots.acquire()  # does not suspend when a slot is free
            return
        try:
            async with asyncio.timeout(limit):
                await slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no free connection", request=request) from None

    def take_idle(self, origin: Origin) -> Http1Connection | None:
        """A kept connection to ``origin`` that is still fresh and clean, if there is one."""
        idle = self._idle.get(origin)
        if not idle:
            return None
        now = idle[-1].loop.time()
        while idle:
            connection = idle.pop()  # the most recently used is the most likely alive
            del self._lru[connection]
            if now - connection.idle_since < self.limits.keepalive_expiry and (
                connection.is_reusable
            ):
                if not idle:
                    del self._idle[origin]
                return connection
            connection.close()
        del self._idle[origin]
        return None

    def release(self, origin: Origin, connection: Http1Connection) -> None:
        """A response is finished with: keep its connection if it is clean, then free its slot."""
        self._slots.release()
        if self.closed or not connection.is_reusable:
            connection.close()
            return
        connection.idle_since = connection.loop.time()
        idle = self._idle.setdefault(origin, [])
        idle.append(connection)
        self._lru[connection] = origin
        if len(idle) > self.limits.max_idle_per_origin:
            self._drop(idle[0], origin)
        if len(self._lru) > self.limits.max_connections:
            # Idle sockets are capped too: the one unused for longest goes.
            self._drop(*next(iter(self._lru.items())))

    def discard(self, connection: Http1Connection | None) -> None:
        """A request failed: free its slot and close its connection (if it had one)."""
        self._slots.release()
        if connection is not None:
            connection.close()

    def close(self) -> None:
        """Close every idle connection; those in use are closed as they come back."""
        self.closed = True
        for connection in self._lru:
            connection.close()
        self._idle.clear()
        self._lru.clear()

    def _drop(self, connection: Http1Connection, origin: Origin) -> None:
        del self._lru[connection]
        idle = self._idle[origin]
        idle.remove(connection)
        if not idle:
            del self._idle[origin]
        connection.close()
