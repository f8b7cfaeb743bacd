"""Stream events for posts, edits, deletions and boosts, written by the flush that causes them.

Posts reach the database by many paths: the Mastodon API, the C2S outbox, the
web pages, the inbox worker (a Create, an Announce), a fetch that resolves a
search or a reply's parent. Apps connected to the streaming API must hear of
every one, within a second, even when the cause ran in another process. So
the event is taken where every path meets: the ORM flush. A session made by
:func:`storage.engine.create_sessionmaker` adds a :class:`StreamEvent` row
for each change below to the same flush, hence the same transaction: an
event is committed exactly when its cause is, and never for a rolled-back
one.

========================================  ==========================
change in the flush                       event
========================================  ==========================
new ``ContentObject`` (not a tombstone)   ``update``
``deleted_at`` set on a ``ContentObject`` ``delete``
``updated_at`` changed on a live one      ``status.update``
new ``Announce``                          ``update`` (a boost)
``Announce`` deleted                      ``delete`` (of the boost)
========================================  ==========================

Only references are stored; who may see an event, and what it looks like to
them, is decided when it is sent (:mod:`api.streaming`). Changes made by bulk
``UPDATE`` statements (the recounted ``likes_count``) are not edits and are
not captured.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session

from storage.ids import new_id
from storage.models import Announce, ContentObject
from storage.models.streams import StreamEvent
from storage.rows import new_row


class StreamCaptureSession(Session):
    """The sync session behind our AsyncSessions: captures stream events on flush."""


def _set_to_a_value(obj: Any, name: str) -> bool:
    """Did this flush change ``name`` to something other than None?"""
    history = inspect(obj).attrs[name].history
    return history.has_changes() and bool(history.added) and history.added[0] is not None


def _events(session: Session) -> list[StreamEvent]:
    found: list[StreamEvent] = []
    for obj in list(session.new):
        if isinstance(obj, ContentObject) and obj.deleted_at is None:
            if obj.id is None:
                obj.id = new_id()  # what the column default would give it, but needed now
            # One per stored post: built straight into its fields (:mod:`storage.rows`).
            found.append(
                new_row(
                    StreamEvent, {"event": "update", "object_id": obj.id, "actor_id": obj.author_id}
                )
            )
        elif isinstance(obj, Announce):
            if obj.id is None:
                obj.id = new_id()
            found.append(
                StreamEvent(
                    event="update",
                    object_id=obj.object_id,
                    announce_id=obj.id,
                    actor_id=obj.actor_id,
                )
            )
    for obj in list(session.dirty):
        if not isinstance(obj, ContentObject) or obj.id is None:
            continue
        if _set_to_a_value(obj, "deleted_at"):
            found.append(StreamEvent(event="delete", object_id=obj.id, actor_id=obj.author_id))
        elif obj.deleted_at is None and _set_to_a_value(obj, "updated_at"):
            found.append(
                StreamEvent(event="status.update", object_id=obj.id, actor_id=obj.author_id)
            )
    for obj in list(session.deleted):
        if isinstance(obj, Announce) and obj.id is not None:
            found.append(
                StreamEvent(
                    event="delete",
                    object_id=obj.object_id,
                    announce_id=obj.id,
                    actor_id=obj.actor_id,
                )
            )
    return found


@event.listens_for(StreamCaptureSession, "before_flush")
def _capture(session: Session, _context: Any, _instances: Any) -> None:
    for row in _events(session):
        session.add(row)
