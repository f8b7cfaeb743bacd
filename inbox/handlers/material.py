"""Create, Update and Delete of a teaching material (an ``Article`` with our ``materialType``).

An Article without our terms is an ordinary post and goes to the ordinary
handlers. A material is read (:func:`content.materials.as2.material_from_as2`)
and its files put through the guard (:func:`content.materials.remote.guard_files`)
*before* anything is written (the guard may ask DNS): a material with a file
that fails it is refused whole, and the worker keeps nothing of it. Then the
post is stored as any Article is, and the material's rows beside it.

An Update of a material we hold rewrites its rows (files whose URL and
digest stay keep their mirror); an Update older than what we hold changes
nothing, as for posts. A Delete (of the material, or of its author) removes
its rows, search entry and mirrored files; its object is a tombstone by then.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.materials import reviews
from content.materials.as2 import (
    InvalidMaterialError,
    MaterialFields,
    is_material,
    material_from_as2,
)
from content.materials.remote import (
    RemoteMaterialRefused,
    forget_remote,
    guard_files,
    store_remote,
)
from content.objects import object_by_ap_id
from inbox.handlers import create as create_post
from inbox.handlers import delete as delete_handler
from inbox.handlers import update as update_post
from inbox.handlers.common import Refused, embedded, object_id, sender
from storage.models import ContentObject, InboxItem, Material


async def _read(node: NodeContext, item: InboxItem) -> MaterialFields | None:
    doc = embedded(item)
    if doc is None or not is_material(doc):
        return None
    try:
        fields = material_from_as2(doc)
        await guard_files(fields, str(doc.get("id")), node.config)
    except (InvalidMaterialError, RemoteMaterialRefused) as exc:
        raise Refused(str(exc)) from exc
    return fields


async def _stored(session: AsyncSession, item: InboxItem) -> ContentObject | None:
    obj = await object_by_ap_id(session, object_id(item) or "")
    if obj is None or obj.deleted_at is not None or obj.local:
        return None
    return obj


async def create(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    fields = await _read(node, item)
    await create_post.handle(session, node, item)
    if fields is None:
        return
    obj = await _stored(session, item)
    if obj is None or await session.get(Material, obj.id) is not None:
        return
    author = await sender(session, node, item)
    await store_remote(session, node.config, obj, author, fields)


async def update(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    fields = await _read(node, item)
    await update_post.edit(session, node, item)
    if fields is None:
        return
    obj = await _stored(session, item)
    if obj is None:
        return
    if (
        fields.updated is not None
        and obj.updated_at is not None
        and fields.updated < obj.updated_at
    ):
        return  # an older version than the one we hold
    author = await sender(session, node, item)
    if obj.author_id != author.id:
        raise Refused("only the author may update a material")
    await store_remote(session, node.config, obj, author, fields)


async def delete(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    """The ordinary Delete, then the material (or review) rows of what it deleted."""
    await delete_handler.handle(session, node, item)
    target = object_id(item)
    if target is None:
        return
    review = await reviews.review_by_ap_id(session, target)
    if review is not None:
        await reviews.receive_delete(session, node, review)
    actor = await sender(session, node, item, allow_gone=True)
    if target == actor.ap_id:
        rows = await session.exec(
            select(Material.object_id).where(Material.author_id == actor.id, ~col(Material.local))
        )
        for material_id in list(rows.all()):
            await forget_remote(session, node.config, material_id)
        return
    obj = await object_by_ap_id(session, target)
    gone = obj is not None and obj.deleted_at is not None and not obj.local
    material = await session.get(Material, obj.id) if gone and obj is not None else None
    if material is not None:
        await forget_remote(session, node.config, material.object_id)
