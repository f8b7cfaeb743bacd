"""Create of a Note, Article, Page, Question, Event or Document: store it.

The embedded object must be the sender's own (``attributedTo``); the pipeline
has already checked its id is on the sender's origin. Its HTML is sanitized
and its visibility derived from its addressing (:mod:`content.objects`). A
reply's missing parent is fetched first, with its own missing ancestors up to
:data:`content.objects.REPLY_FETCH_DEPTH`, so the thread hangs together.

A Create of an id we already hold changes nothing: not a redelivery, not a
second Create with another activity id, and never a tombstone (a deleted
post stays deleted). A Create naming its object only by id (or one the
pipeline cut back because it lives elsewhere) is fetched from its origin.

Mastodon sends poll votes as Creates of a Note with a ``name`` and no
content, replying to the Question; those are not posts: a vote on one of our
polls is counted (:func:`content.polls.receive_vote`), any other is ignored.

Each of our actors a new post mentions or addresses gets a ``mention``
notification (a post of our own reaches them through :func:`local`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.minors import addressed_students
from content.as2 import InvalidObjectError, attributed_to, object_from_as2
from content.moderation.held import hold
from content.notifications import notify_mentions, notify_subscribers
from content.objects import (
    REPLY_FETCH_DEPTH,
    fetch_object,
    insert_object,
    object_by_ap_id,
)
from content.polls import is_closed, receive_vote
from federation.vocab import ids_of
from inbox.handlers.common import Refused, embedded, object_id, sender
from storage.models import Actor, InboxItem


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    doc = embedded(item)
    assert doc is not None  # the dispatch table sends only embedded objects here
    author = await sender(session, node, item)
    if attributed_to(doc) != author.ap_id:
        raise Refused("the object is attributed to another actor than the sender")
    try:
        fields = object_from_as2(doc)
    except InvalidObjectError as exc:
        raise Refused(exc.reason) from exc
    if await object_by_ap_id(session, fields["ap_id"]) is not None:
        return  # stored already, or a tombstone
    if not fields["to"] and not fields["cc"]:
        # Some servers address only the activity.
        fields["to"], fields["cc"] = ids_of(item.body.get("to")), ids_of(item.body.get("cc"))
    parent_id = fields["in_reply_to"]
    parent = await object_by_ap_id(session, parent_id) if parent_id else None
    if (
        parent is not None
        and parent.type == "Question"
        and fields["name"]
        and not fields["content"]
    ):
        if parent.local:
            if is_closed(parent):
                raise Refused("the poll has ended")
            window = timedelta(seconds=node.config.events.poll_debounce_seconds)
            await receive_vote(
                session, parent, author, fields["name"], fields["ap_id"], totals_window=window
            )
        return  # a poll vote
    await _hold_for_students(node, author, fields, item)
    if parent_id and parent is None and not node.config.is_local(parent_id):
        await fetch_object(session, node, parent_id, limit=REPLY_FETCH_DEPTH)
    # Not stored a moment ago; a parent fetch above stores ancestors, not this
    # id, and a racing insert elsewhere is a unique violation the retry resolves.
    obj = await insert_object(session, node, fields, author)
    await notify_mentions(session, obj, node.config.is_local)
    await notify_subscribers(session, obj)


async def _hold_for_students(
    node: NodeContext, author: Actor, fields: dict[str, Any], item: InboxItem
) -> None:
    """Another node's post addressing or mentioning a student goes to a moderator."""
    if author.local:
        return
    mentions = [t.get("href") for t in fields.get("tags") or [] if t.get("type") == "Mention"]
    named = [*fields["to"], *fields["cc"], *(m for m in mentions if isinstance(m, str))]
    ours = [ap_id for ap_id in named if node.config.is_local(ap_id)]
    if not ours:
        return  # students are ours: a post naming none of our ids reaches none
    async with node.sessions() as session:
        students = await addressed_students(session, ours)
    if students:
        await hold(node, author, students[0], fields["ap_id"], item.body)
        raise Refused("a message to a student of this school is held for a moderator")


async def by_reference(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    ap_id = object_id(item)
    if ap_id is not None:
        obj = await fetch_object(session, node, ap_id, limit=REPLY_FETCH_DEPTH)
        if obj is not None:
            await notify_mentions(session, obj, node.config.is_local)


async def local(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    """Our own actor's post: :func:`content.posts.create_post` stored it; only notify."""
    obj = await object_by_ap_id(session, object_id(item) or "")
    if obj is not None:
        await notify_mentions(session, obj, node.config.is_local)
        await notify_subscribers(session, obj)
