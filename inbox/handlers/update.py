"""Update of an object (an edit) or of an actor (a profile change).

Objects: only their author may edit them; an object we never stored is not
created by an edit, a tombstone is never revived, an edit older than the one
we hold is ignored, and addressing stays as first seen (an edit cannot widen
a followers-only post). Our own objects are edited only by our own code.

Actors: the embedded document is believed when it is on the signer's origin
(the pipeline guarantees that for embedded objects: it cuts foreign ones
back to their id); an Update naming the actor by id only is answered by
refetching the document from its origin. Only actors we already know are
refreshed, and our own actors never are.

An edit notifies our actors who boosted the post (``update``).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.as2 import InvalidActorError, remote_actor_fields
from actors.context import NodeContext
from actors.remote import actor_by_ap_id, upsert_remote_actor
from content.as2 import InvalidObjectError, object_from_as2
from content.notifications import edit_snapshot, notify_edit
from content.objects import (
    object_by_ap_id,
    refresh_object,
    update_object,
    without_rejected_media,
)
from content.poll_states import refresh_end
from federation.errors import FederationError
from federation.origin import same_origin
from inbox.handlers.common import Refused, embedded, object_id, sender
from storage.models import Actor, ContentObject, InboxItem


def _check_author(obj: ContentObject, actor: Actor) -> None:
    if obj.author_id != actor.id:
        raise Refused("only the author may update an object")


async def edit(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    doc = embedded(item)
    assert doc is not None
    editor = await sender(session, node, item)
    obj = await object_by_ap_id(session, object_id(item) or "")
    if obj is None:
        return
    _check_author(obj, editor)
    try:
        fields = object_from_as2(doc)
    except InvalidObjectError as exc:
        raise Refused(exc.reason) from exc
    fields = await without_rejected_media(node, editor, fields)
    before = edit_snapshot(obj)
    changed = await update_object(session, obj, fields)
    if changed and obj.type == "Question":
        await refresh_end(session, obj)  # a poll voted in here: its end as its server says
    if changed and edit_snapshot(obj) != before:
        await notify_edit(session, obj)


async def local(session: AsyncSession, _node: NodeContext, item: InboxItem) -> None:
    """Our own actor's edit: :func:`content.posts.update_post` applied it; only notify."""
    obj = await object_by_ap_id(session, object_id(item) or "")
    if obj is not None and obj.local:
        await notify_edit(session, obj)


async def profile(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    doc = embedded(item)
    assert doc is not None
    signer = await sender(session, node, item)
    actor_id = object_id(item)
    if actor_id is None or not same_origin(actor_id, signer.ap_id):
        raise Refused("an actor document may only be updated from its own origin")
    known = await actor_by_ap_id(session, actor_id)
    if known is None or known.local:
        return
    try:
        fields = remote_actor_fields(doc, actor_id)
    except InvalidActorError as exc:
        raise Refused(exc.reason) from exc
    await upsert_remote_actor(session, fields)


async def by_reference(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    """An Update with only an id (or a foreign object cut back): refetch from the origin."""
    ap_id = object_id(item)
    if ap_id is None:
        return
    updater = await sender(session, node, item)
    obj = await object_by_ap_id(session, ap_id)
    if obj is not None:
        _check_author(obj, updater)
        await refresh_object(session, node, obj)
        return
    known = await actor_by_ap_id(session, ap_id)
    if known is None or known.local:
        return
    try:
        document = await node.remote.fetch_document(ap_id)
        fields = remote_actor_fields(document, ap_id)
    except (FederationError, InvalidActorError):
        return
    await upsert_remote_actor(session, fields)
