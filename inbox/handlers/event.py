"""Events on the wire: Create/Update/Delete of an ``Event``, ``Join``, ``Leave``,
``Undo(Join)`` and the ``Accept``/``Reject`` of our Joins.

Each handler takes what concerns an event and hands anything else to the
handler the table had before (a ``Join`` of a Group, once communities land,
goes on to theirs; an ``Accept`` of a Follow to the follow handlers).

* **Create/Update of an Event.** The object is attributed to the sender, or
  (Mobilizon's group events) to a ``Group`` on the sender's own server, which
  is fetched and checked; the group is then the organizer. Only the
  event's origin may update it, so a ``participantCount`` from anyone else
  is refused. The event's row follows the stored object. An Update naming
  an id we do not hold changes nothing, but gathio's, which names the id it
  keeps instead of the one it sent (:func:`content.events.gathio.copies_updated`).
* **Join of our event.** The decision of
  :func:`content.events.participation.request`; a Join for a closed, full,
  cancelled or past event is answered with ``Reject`` and nothing is kept;
  a second Join of the same actor is refused.
* **Leave / Undo(Join)** of our event frees the place (the sender must be
  the participant: the pipeline has already checked the actor signed it).
* **Accept/Reject of a Join we sent** settles our participant's row; only
  the event's origin may send it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import InvalidObjectError, attributed_to, object_from_as2
from content.events import gathio, participation
from content.events.model import load_view
from content.events.publishing import forget
from content.events.remote import sync_remote
from content.events.rules import EventError
from content.notifications import (
    UPDATE,
    edit_snapshot,
    notify,
    notify_edit,
    notify_mentions,
    notify_subscribers,
)
from content.objects import (
    insert_object,
    object_by_ap_id,
    update_object,
    without_rejected_media,
)
from content.visibility import may_read
from federation.errors import FederationError
from federation.origin import same_origin
from federation.vocab import id_of, ids_of
from inbox.handlers.common import Refused, embedded, known_actor, object_id, sender
from storage.models import Actor, ContentObject, EventParticipant, EventRow, InboxItem

Handler = Callable[[AsyncSession, NodeContext, InboxItem], Awaitable[None]]


async def _organizer(
    session: AsyncSession, node: NodeContext, item: InboxItem, doc: dict[str, object]
) -> Actor:
    """Who the event is by: the sender, or a Group on the sender's server."""
    author = await sender(session, node, item)
    claimed = attributed_to(doc)
    if claimed is None or claimed == author.ap_id:
        return author
    if not same_origin(claimed, author.ap_id) or node.config.is_local(claimed):
        raise Refused("the event is attributed to another actor than the sender")
    try:
        await node.remote.get(claimed)
    except FederationError as exc:
        raise RuntimeError(f"cannot load the organizing group: {exc.reason}") from exc
    group = await known_actor(session, claimed)
    if group is None or group.type != "Group" or group.gone:
        raise Refused("an event attributed to another actor must be a Group's, on its server")
    return group


def _fields(doc: dict[str, object]) -> dict[str, object]:
    try:
        return object_from_as2(doc)
    except InvalidObjectError as exc:
        raise Refused(exc.reason) from exc


async def create(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    doc = embedded(item)
    assert doc is not None
    organizer = await _organizer(session, node, item, doc)
    fields = _fields(doc)
    if await object_by_ap_id(session, str(fields["ap_id"])) is not None:
        return  # stored already, or a tombstone
    if not fields["to"] and not fields["cc"]:
        fields["to"], fields["cc"] = ids_of(item.body.get("to")), ids_of(item.body.get("cc"))
    obj = await insert_object(session, node, fields, organizer)
    await sync_remote(session, obj)
    await notify_mentions(session, obj, node.config.is_local)
    await notify_subscribers(session, obj)


async def update(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    doc = embedded(item)
    assert doc is not None
    obj = await object_by_ap_id(session, object_id(item) or "")
    if obj is None:
        # gathio names an id it never sent: the Events its actor did send are meant.
        editor = await sender(session, node, item, allow_gone=True)
        for copy in await gathio.copies_updated(session, node, editor, doc):
            await _edit(session, node, copy, editor, doc)
        return
    editor = await sender(session, node, item)
    organizer = await session.get(Actor, obj.author_id)
    if obj.local or organizer is None or not same_origin(obj.ap_id, editor.ap_id):
        raise Refused("only the event's origin may update it")
    if organizer.id != editor.id and organizer.type != "Group":
        raise Refused("only the organizer may update an event")
    await _edit(session, node, obj, organizer, doc)


async def _edit(
    session: AsyncSession,
    node: NodeContext,
    obj: ContentObject,
    organizer: Actor,
    doc: dict[str, object],
) -> None:
    """Apply the edit ``doc`` to ``obj`` (checked: the organizer's, from its origin)."""
    fields = await without_rejected_media(node, organizer, _fields(doc))
    incoming = fields.get("updated_at")
    if isinstance(incoming, datetime) and obj.updated_at is not None and incoming < obj.updated_at:
        return  # older than what we hold
    # ``updated`` has whole seconds: a count Update and an edit in the same second
    # must both apply, so only a strictly older one is stale here.
    obj.updated_at = None
    before, plan = edit_snapshot(obj), await _plan(session, obj)
    if await update_object(session, obj, fields):
        await sync_remote(session, obj)
        if edit_snapshot(obj) != before:
            await notify_edit(session, obj)
        if edit_snapshot(obj) != before or await _plan(session, obj) != plan:
            await _tell_participants(session, obj, organizer)


async def _plan(session: AsyncSession, obj: ContentObject) -> tuple[object, ...]:
    """When and where the event is: news to its participants when it changes (gathio's
    edits are mostly a new time), though not to those who only boosted it."""
    row = await session.get(EventRow, obj.id)
    if row is None:
        return ()
    return (row.start_at, row.end_at, row.place_name, row.online_url, row.status)


async def _tell_participants(session: AsyncSession, obj: ContentObject, organizer: Actor) -> None:
    rows = await session.exec(
        select(Actor)
        .join(EventParticipant, col(EventParticipant.actor_id) == Actor.id)
        .where(EventParticipant.event_id == obj.id)
    )
    for actor in rows.all():
        if actor.local:
            await notify(session, actor, UPDATE, organizer, obj)


async def _our_event(
    session: AsyncSession, ap_id: str | None
) -> tuple[ContentObject, EventRow] | None:
    obj = await object_by_ap_id(session, ap_id or "")
    if obj is None or not obj.local or obj.type != "Event" or obj.id is None:
        return None
    row = await session.get(EventRow, obj.id)
    return (obj, row) if row is not None else None


def chain_join(previous: Handler) -> Handler:
    async def join(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        found = await _our_event(session, object_id(item))
        if found is None:
            await previous(session, node, item)
            return
        obj, _row = found
        participant = await sender(session, node, item)
        view = await load_view(session, obj.id or 0)
        assert view is not None
        existing = await session.exec(
            select(EventParticipant.id).where(EventParticipant.join_ap_id == item.activity_id)
        )
        if existing.first() is not None:
            return  # a redelivery
        organizer = await session.get(Actor, view.row.organizer_id)
        if organizer is None or not await may_read(session, obj, organizer, participant):
            raise Refused("the event is not visible to the sender")  # private stays private
        try:
            async with session.begin_nested():
                await participation.request(session, node, view, obj, participant, item.activity_id)
        except EventError as exc:
            if "already joined" in str(exc) or "declined" in str(exc):
                raise Refused(str(exc)) from exc
            await participation.refuse_remote(
                session, node, organizer, obj, participant, item.activity_id
            )

    return join


async def _leave_event(
    session: AsyncSession, node: NodeContext, item: InboxItem, event_ap_id: str | None
) -> bool:
    found = await _our_event(session, event_ap_id)
    if found is None:
        return False
    obj, _row = found
    participant = await sender(session, node, item)
    view = await load_view(session, obj.id or 0)
    assert view is not None
    await participation.leave(session, node, view, obj, participant)
    return True


def chain_leave(previous: Handler) -> Handler:
    async def leave(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        if not await _leave_event(session, node, item, object_id(item)):
            await previous(session, node, item)

    return leave


async def _joined_event_of(session: AsyncSession, item: InboxItem) -> str | None:
    """The event an ``Undo(Join)`` withdraws from: the embedded Join's object, or by its id."""
    doc = embedded(item)
    if doc is not None and id_of(doc.get("object")):
        return id_of(doc.get("object"))
    join_id = object_id(item)
    row = (
        await session.exec(select(EventParticipant).where(EventParticipant.join_ap_id == join_id))
    ).first()
    if row is None:
        return None
    obj = await session.get(ContentObject, row.event_id)
    return obj.ap_id if obj is not None else None


def chain_undo_join(previous: Handler) -> Handler:
    async def undo_join(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        event_ap_id = await _joined_event_of(session, item)
        if not await _leave_event(session, node, item, event_ap_id):
            await previous(session, node, item)

    return undo_join


def chain_answer(previous: Handler, *, accepted: bool) -> Handler:
    async def answer(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        join_id = object_id(item)
        if join_id is None or not await _is_our_join(session, join_id):
            await previous(session, node, item)
            return
        answerer = await sender(session, node, item)
        try:
            await participation.answer(session, join_id, answerer, accepted=accepted)
        except PermissionError as exc:
            raise Refused(str(exc)) from exc

    return answer


async def _is_our_join(session: AsyncSession, join_id: str) -> bool:
    found = await session.exec(
        select(EventParticipant.id).where(EventParticipant.join_ap_id == join_id)
    )
    return found.first() is not None


def chain_delete(previous: Handler) -> Handler:
    """The Delete before, then the rows of a remote event it tombstoned."""

    async def delete(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        await previous(session, node, item)
        obj = await object_by_ap_id(session, object_id(item) or "")
        if obj is None or obj.local or obj.deleted_at is None or obj.id is None:
            return
        if await session.get(EventRow, obj.id) is not None:
            await forget(session, obj.id)

    return delete
