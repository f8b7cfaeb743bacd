"""Stream events: what the streaming API tells connected apps, as rows.

The API and the workers may be separate processes (``serve --no-workers`` +
``worker`` on one PostgreSQL), so an in-process queue cannot carry "a post
arrived" from the inbox worker to a WebSocket. Instead every cause writes a
row here in its own transaction (:mod:`storage.stream_capture` for posts,
edits, deletions and boosts; :mod:`content.notifications` for
notifications), and each serving process polls the table and fans the rows
out to its connections, rendering each one for each recipient
(:mod:`api.streaming`). A row holds references, never a rendered payload:
who may see it is decided per viewer when it is sent.

Rows are short-lived: they are pruned after :data:`RETENTION`.

``event`` is the Mastodon event name: ``update`` (a new post, or a boost when
``announce_id`` is set), ``status.update`` (an edit), ``delete`` (a post or
a boost gone; ``announce_id`` set for a boost) and ``notification``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from storage.types import id_column, time_column, utcnow

RETENTION = timedelta(minutes=10)


class StreamEvent(SQLModel, table=True):
    __tablename__ = "stream_events"

    id: int | None = Field(default=None, sa_column=id_column())
    event: str = Field(max_length=32)
    # No foreign keys: the rows they name may be gone (a withdrawn boost, a
    # cleared notification) by the time the event is read, and that is fine.
    object_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    announce_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    # The author of the post, or the booster for a boost.
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    # For events meant for one actor only (notifications).
    recipient_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    notification_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(index=True))
