"""Stream names, the scopes each needs, and a connected subscriber's mailbox.

Streams are Mastodon's: ``user``, ``user:notification``, ``public``,
``public:local``, ``public:remote`` (each public one also ``:media``),
``hashtag`` and ``hashtag:local`` (with a ``tag``), ``list`` (with a
``list`` id) and ``direct``. Since
Mastodon 4.2 every stream needs a user token; ``read`` covers them all,
``read:notifications`` is enough for ``user:notification`` and
``read:statuses`` for the rest (the ``user`` stream then carries no
notifications unless the token may read them too).

A :class:`Subscriber` is one connection (a WebSocket, which may hold several
subscriptions, or an event-stream response, which holds one): the hub puts
:class:`Frame` s on its queue, the connection sends them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from storage.ids import min_id_for_ms

PUBLIC_STREAMS = frozenset(
    {
        "public",
        "public:media",
        "public:local",
        "public:local:media",
        "public:remote",
        "public:remote:media",
    }
)
HASHTAG_STREAMS = frozenset({"hashtag", "hashtag:local"})
USER_STREAMS = frozenset({"user", "user:notification"})
STREAMS = PUBLIC_STREAMS | HASHTAG_STREAMS | USER_STREAMS | {"direct", "list"}

#: Frames a slow client may have waiting before it is cut off.
QUEUE_LIMIT = 1000


class StreamError(ValueError):
    """A subscription request that cannot be served (Mastodon's wording in ``message``)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Subscription:
    stream: str
    param: str | None = None  # the hashtag of a hashtag stream, the list id of a list stream

    def names(self) -> list[str]:
        """The ``stream`` array of a frame: ``["hashtag", "foo"]``, ``["user"]``."""
        return [self.stream, self.param] if self.param is not None else [self.stream]


def subscription(
    stream: str | None, tag: str | None = None, list_id: str | None = None
) -> Subscription:
    """Check a requested stream; a :class:`StreamError` (400) for a bad one.

    Whether a list is the subscriber's own is checked when events are sent
    (someone else's list simply streams nothing).
    """
    if not stream or stream not in STREAMS:
        raise StreamError("Unknown stream type")
    if stream in HASHTAG_STREAMS:
        name = (tag or "").strip().lstrip("#")
        if not name:
            raise StreamError("No tag for stream provided")
        return Subscription(stream, name)
    if stream == "list":
        if not (list_id or "").strip().isdigit():
            raise StreamError("No list for stream provided")
        return Subscription(stream, (list_id or "").strip())
    return Subscription(stream)


def scopes_for(stream: str) -> tuple[str, ...]:
    """Any one of these scopes opens ``stream``."""
    if stream == "user:notification":
        return ("read", "read:notifications")
    return ("read", "read:statuses")


@dataclass(frozen=True)
class Frame:
    stream: list[str]
    event: str
    payload: str


@dataclass(eq=False)
class Subscriber:
    """One streaming connection, for one token acting for one local actor."""

    token_id: int
    actor_id: int
    notifications: bool  # may this token read notifications?
    subscriptions: set[Subscription] = field(default_factory=set)
    queue: asyncio.Queue[Frame | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT)
    )
    closed_reason: str | None = None
    # Only events made after the connection opened are sent on it.
    start_id: int = field(default_factory=lambda: min_id_for_ms(int(time.time() * 1000)))

    def send(self, frame: Frame) -> None:
        if self.closed_reason is not None:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.close("too many events waiting")

    def close(self, reason: str) -> None:
        """Ask the connection to end (its token was revoked, or it cannot keep up)."""
        if self.closed_reason is not None:
            return
        self.closed_reason = reason
        while True:  # make room for the sentinel: nothing queued matters any more
            try:
                self.queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()
