"""Stream events for posts, edits, deletions and boosts, written by the flush that causes them.

Posts reach the database by many paths: the Mastodon API, the C2S outbox, the
web pages, the inbox worker (a Create, an Announce), a fetch that resolves a
search or a reply's parent. Apps connected to the streaming API must hear of
every one, within a second, even when the cause ran in another process. So
the event is taken where every path meets: the ORM flush. A session made by
:func:`storage.engine.create_sessionmaker` writes a :class:`StreamEvent` row
for each change below in the same flush, hence the same transaction: an
event is committed exactly when its cause is, and never for a rolled-back
one. The rows go in as one plain INSERT after the flush's own, not as model
instances: building a model per event cost the inbox worker about a tenth
of its time per post.

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

from sqlalchemy import event, insert, inspect
from sqlmodel import Session

from storage.ids import new_id
from storage.models import Announce, ContentObject
from storage.models.streams import StreamEvent
from storage.types import utcnow

_PENDING = "staffroom.stream_events"


class StreamCaptureSession(Session):
    """The sync session behind our AsyncSessions: captures stream events on flush."""


def _row(
    *, event: str, object_id: int | None, actor_id: int | None, announce_id: int | None = None
) -> dict[str, Any]:
    """A ``stream_events`` row, as the model's defaults would fill it."""
    return {
        "id": new_id(),
        "event": event,
        "object_id": object_id,
        "announce_id": announce_id,
        "actor_id": actor_id,
        "recipient_id": None,
        "notification_id": None,
        "created_at": utcnow(),
    }


def _set_to_a_value(obj: Any, name: str) -> bool:
    """Did this flush change ``name`` to something other than None?"""
    history = inspect(obj).attrs[name].history
    return history.has_changes() and bool(history.added) and history.added[0] is not None


def _events(session: Session) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for obj in list(session.new):
        if isinstance(obj, ContentObject) and obj.deleted_at is None:
            if obj.id is None:
                obj.id = new_id()  # what the column default would give it, but needed now
            found.append(_row(event="update", object_id=obj.id, actor_id=obj.author_id))
        elif isinstance(obj, Announce):
            if obj.id is None:
                obj.id = new_id()
            found.append(
                _row(
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
            found.append(_row(event="delete", object_id=obj.id, actor_id=obj.author_id))
        elif obj.deleted_at is None and _set_to_a_value(obj, "updated_at"):
            found.append(_row(event="status.update", object_id=obj.id, actor_id=obj.author_id))
    for obj in list(session.deleted):
        if isinstance(obj, Announce) and obj.id is not None:
            found.append(
                _row(
                    event="delete",
                    object_id=obj.object_id,
                    announce_id=obj.id,
                    actor_id=obj.actor_id,
                )
            )
    return found


@event.listens_for(StreamCaptureSession, "before_flush")
def _capture(session: Session, _context: Any, _instances: Any) -> None:
    # Replaced, not added to: a flush that failed leaves nothing to write twice.
    session.info[_PENDING] = _events(session)


@event.listens_for(StreamCaptureSession, "after_flush")
def _write(session: Session, _context: Any) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.connection().execute(insert(StreamEvent.__table__), rows)  # type: ignore[attr-defined]
