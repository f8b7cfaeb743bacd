"""Follow, Accept, Undo(Follow), Add and Remove when they are about a collection of materials.

Each function takes the activity only when its object (or target) is a
collection we hold, and hands anything else to the handler the table had
before: a Follow of a person stays :mod:`.follow`, an Add to someone's
``featured`` stays :mod:`.add`, and so on.

* ``Follow`` of one of our collections: accepted at once (``Accept`` sent).
* ``Accept`` of our Follow of a remote collection: the follow is accepted.
* ``Undo`` of a Follow of one of our collections: the follow goes; only its
  follower may undo it.
* ``Add``/``Remove`` whose ``target`` is a remote collection we hold: only
  its curator may change it; an added item on the curator's origin that we
  lack is fetched (as a pinned post is), so the shelf has something to show.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.materials import collection_follows, collections, remote_collections
from content.materials.lookup import material_for
from content.objects import fetch_object, object_by_ap_id
from federation.origin import same_origin
from federation.vocab import id_of
from inbox.handlers import accept as accept_handler
from inbox.handlers import add as add_handler
from inbox.handlers import follow as follow_handler
from inbox.handlers import remove as remove_handler
from inbox.handlers import undo as undo_handler
from inbox.handlers.common import Refused, embedded, object_id, sender
from storage.models import InboxItem, MaterialCollection


async def follow(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    row = await collections.local_collection(session, object_id(item))
    if row is None:
        await follow_handler.handle(session, node, item)
        return
    follower = await sender(session, node, item)
    await collection_follows.receive_follow(session, node, follower, row, item.activity_id)


async def accept(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    followed = await collection_follows.follow_by_activity(session, object_id(item) or "")
    if followed is None:
        await accept_handler.handle(session, node, item)
        return
    answerer = await sender(session, node, item)
    row = await session.get(MaterialCollection, followed.collection_id)
    if row is None or row.owner_id != answerer.id:
        raise Refused("only the collection's curator may answer a follow of it")
    followed.state = collection_follows.ACCEPTED
    session.add(followed)
    await session.flush()


async def undo_follow(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    doc = embedded(item) or {}
    row = await collections.local_collection(session, id_of(doc.get("object")))
    if row is None:
        await undo_handler.follow(session, node, item)
        return
    undoer = await sender(session, node, item)
    followed = await collection_follows.follow_of(session, row.id or 0, undoer.id)
    if followed is not None:
        await collection_follows.remove_follow(session, followed)


async def _remote_target(session: AsyncSession, item: InboxItem) -> MaterialCollection | None:
    target = id_of(item.body.get("target"))
    if not target:
        return None
    row = (
        await session.exec(select(MaterialCollection).where(MaterialCollection.ap_id == target))
    ).first()
    return row if row is not None and not row.local else None


async def _change(session: AsyncSession, node: NodeContext, item: InboxItem, kind: str) -> None:
    row = await _remote_target(session, item)
    if row is None:
        handler = add_handler.handle if kind == "Add" else remove_handler.handle
        await handler(session, node, item)
        return
    curator = await sender(session, node, item)
    if row.owner_id != curator.id:
        raise Refused("only the collection's curator may change it")
    added = object_id(item)
    if added is None:
        return
    fetch = kind == "Add" and same_origin(added, curator.ap_id)
    if fetch and await object_by_ap_id(session, added) is None:
        fetched = await fetch_object(session, node, added, limit=1)
        if fetched is not None:
            await material_for(session, node, fetched)
    await remote_collections.receive_change(session, row, kind, added)


async def add(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    await _change(session, node, item, "Add")


async def remove(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    await _change(session, node, item, "Remove")
