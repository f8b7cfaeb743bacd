"""THE table: activity type → handler (and, for four types, object type → handler).

Adding a type is one line here and one module in ``inbox/handlers/``. A type
not in the table falls to :func:`ignore`: accepted, recorded in the mailbox
of whom it reached, never a 500. For Create, Update and Undo the object's
type picks the handler; an object given only by id goes to the ``untyped``
handler, which fetches or looks it up.

Our own deliveries (``key_id == "local"``, from :func:`outbox.publish.publish`)
use :data:`LOCAL_HANDLERS` instead. Sender and recipient share one database,
so the domain function that published the activity has already changed every
row it means (the Like row and its count, the Follow request, the tombstone);
replaying that here could undo a later change (a Like withdrawn before the
worker reached it would come back). Only what the *recipient* decides is
left: the answer to a Follow, and the notifications the recipients get (a
follow, a like, a boost, a mention, an edit), exactly as for a remote sender.
Every local delivery still lands in the mailboxes of the local actors it
reached.

Outcomes (see :mod:`inbox.worker`): a handler that returns leaves the item
``processed``; :class:`Refused` (authentic, but not allowed) leaves it
``rejected`` with nothing of it kept; any other exception is retried with
backoff until ``failed``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.moderation.state import is_suspended_ap_id
from federation.vocab import type_of
from inbox.handlers import (
    announce,
    block,
    collection,
    community,
    create,
    event,
    flag,
    follow,
    like,
    material,
    reject,
    review,
    undo,
    update,
)
from inbox.handlers.common import Refused, is_local_item
from inbox.handlers.mailbox import record_mailbox
from storage.models import InboxItem

__all__ = ["HANDLERS", "LOCAL_HANDLERS", "Handler", "Refused", "dispatch", "handler_for", "ignore"]

Handler = Callable[[AsyncSession, NodeContext, InboxItem], Awaitable[None]]


async def ignore(_session: AsyncSession, _node: NodeContext, _item: InboxItem) -> None:
    """Default for types we do not act on: the row is kept as processed."""


def by_object_type(table: Mapping[str, Handler], *, untyped: Handler) -> Handler:
    """A handler that picks from ``table`` by the embedded object's type."""

    async def pick(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        obj = item.body.get("object")
        if isinstance(obj, dict):
            kind = type_of(obj)
            chosen = table.get(kind, ignore) if kind is not None else ignore
        else:
            chosen = untyped if isinstance(obj, str) else ignore
        await chosen(session, node, item)

    return pick


CREATE: dict[str, Handler] = {
    "Note": review.create,  # a Note with a rating replying to a material; else create.handle
    "Article": material.create,  # an Article with our materialType; else create.handle
    "Page": create.handle,
    "Question": create.handle,
    "Event": event.create,  # a person's or a Group's event, with its event row
    "Document": create.handle,
}

UPDATE: dict[str, Handler] = {
    "Note": review.update,  # a review's new rating; else update.edit
    "Article": material.update,  # a material's new rows; else update.edit
    "Page": update.edit,
    "Question": update.edit,
    "Event": event.update,  # only from the event's origin, with its event row
    "Document": update.edit,
    "Person": update.profile,
    "Group": update.profile,
    "Service": update.profile,
    "Application": update.profile,
    "Organization": update.profile,
}

UNDO: dict[str, Handler] = {
    "Follow": collection.undo_follow,  # of one of our collections; else undo.follow
    "Like": undo.like,
    "Announce": undo.announce,
    "Block": undo.block,
    "Join": event.chain_undo_join(ignore),  # of one of our events; else ignored
}

HANDLERS: dict[str, Handler] = {
    # of our Join of an event; else of our Follow of a collection; else accept.handle
    "Accept": event.chain_answer(collection.accept, accepted=True),
    "Add": collection.add,  # to a remote collection we hold; else add.handle
    "Announce": community.announce(announce.handle),  # by a remote Group; else announce.handle
    "Block": block.handle,
    # Then, a post to one of our communities is checked and announced (FEP-1b12).
    "Create": community.create(by_object_type(CREATE, untyped=create.by_reference)),
    # delete.handle, then the rows of a material or review, then the communities'
    # Announce, then the rows of an event.
    "Delete": event.chain_delete(community.delete(material.delete)),
    "Flag": flag.handle,
    # A join of one of our communities; else of one of our collections; else follow.handle.
    "Follow": community.follow(collection.follow),
    "Join": event.chain_join(ignore),  # of one of our events; anything else handed on
    "Leave": event.chain_leave(ignore),  # of one of our events; anything else handed on
    "Like": like.handle,
    "Reject": event.chain_answer(reject.handle, accepted=False),  # of our Join; else a Follow
    "Remove": collection.remove,  # from a remote collection we hold; else remove.handle
    "Undo": by_object_type(UNDO, untyped=event.chain_undo_join(undo.by_reference)),
    "Update": by_object_type(UPDATE, untyped=update.by_reference),
}


LOCAL_HANDLERS: dict[str, Handler] = {
    "Announce": announce.local,
    "Create": community.create(create.local),
    "Follow": community.follow_local(follow.local),
    "Like": like.local,
    "Update": update.local,
}


def handler_for(activity_type: str, *, local: bool = False) -> Handler:
    return (LOCAL_HANDLERS if local else HANDLERS).get(activity_type, ignore)


async def dispatch(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    """Run the item's handler, then file it in the inbox of every local actor it reached.

    Nothing a suspended account sends is acted on (its content stays hidden).
    """
    if not is_local_item(item) and await is_suspended_ap_id(session, item.actor_ap_id):
        raise Refused("the sender is suspended on this node")
    await handler_for(item.activity_type, local=is_local_item(item))(session, node, item)
    await record_mailbox(session, item, node.config.is_local)


def describe(activity: dict[str, Any]) -> str:
    return f"{activity.get('type')} {activity.get('id')}"
