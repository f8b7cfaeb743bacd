"""Optimistic groups: many items of a batch handled in one savepoint with one flush.

Why: handled one by one, each item of a burst of posts paid a savepoint, a
release and a flush per row it made (its object, its stream event, its
mailbox rows), each a trip through the ORM and, on SQLite, a hop to the
database thread. In a group, the handlers run as they always do, but their
flushes are put off (:mod:`storage.flushes`) and the group's one flush
writes each table's new rows in one executemany.

Optimistic: if anything in the group fails (a handler raises, a refusal, a
need for the network, a unique violation at the flush), the group's
savepoint is rolled back, nothing of it is kept, and the caller handles
its items again one by one, each in its own savepoint, exactly as before:
so a failure still retries alone, and ordering per object still holds.

Only items whose handling has no effect outside the session can be tried
twice that way, so a group takes only the burst's common case
(:func:`groupable`): a remote ``Create`` of a ``Note`` (not a review), first
attempt, naming none of our ids (so no mention, no student to hold for a
moderator, no community of ours, no poll vote, no reply to ours).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from federation.offline import NetworkDeferred
from federation.vocab import id_of, ids_of
from inbox.dispatch import dispatch
from inbox.handlers.common import is_local_item
from storage.flushes import deferred
from storage.models import InboxItem

#: Items per group: big enough that the fixed costs vanish, small enough
#: that a failed group's second pass is cheap.
GROUP = 64

_ADDRESSING = ("to", "cc", "bto", "bcc", "audience")


def _named(body: dict[str, Any], obj: dict[str, Any]) -> Iterable[str]:
    for source in (body, obj):
        for name in _ADDRESSING:
            yield from ids_of(source.get(name))
    for field in ("id", "inReplyTo", "attributedTo", "context", "conversation"):
        if (found := id_of(obj.get(field))) is not None:
            yield found
    tags = obj.get("tag")
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, dict) and isinstance(href := tag.get("href"), str):
            yield href


def groupable(node: NodeContext, item: InboxItem) -> bool:
    """Is ``item`` the common case a group may try (see the module's docstring)?"""
    if item.activity_type != "Create" or item.attempts or is_local_item(item):
        return False
    body = item.body
    obj = body.get("object") if isinstance(body, dict) else None
    if not isinstance(obj, dict) or obj.get("type") != "Note" or "rating" in obj:
        return False
    return not any(node.config.is_local(ap_id) for ap_id in _named(body, obj))


@dataclass(frozen=True)
class GroupFailed:
    """Why a group kept nothing: ``error``, raised by the handler of ``group[index]``,
    or (``index`` None) by the database, which cannot say whose row it was."""

    index: int | None
    error: BaseException


async def handle_group(
    session: AsyncSession, node: NodeContext, group: list[InboxItem]
) -> GroupFailed | None:
    """Handle ``group`` in one savepoint, with one flush; None when all of it is kept.

    The caller runs it inside :func:`federation.offline.offline`.
    """
    index: int | None = None
    try:
        async with session.begin_nested():
            with deferred(session):
                for position, item in enumerate(group):
                    index = position
                    await dispatch(session, node, item)
            index = None
            await session.flush()
    except (Exception, NetworkDeferred) as exc:
        if isinstance(exc, SQLAlchemyError):
            index = None  # perhaps an earlier item's row, flushed by a later query
        return GroupFailed(index, exc)
    return None
