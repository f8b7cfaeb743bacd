"""Collections: a teacher's named, ordered shelf of materials, followable from other nodes.

On the wire a collection is an ``OrderedCollection`` at its own id
(``/users/NAME/material-collections/ID``) with ``attributedTo``, ``name``,
``summary``, ``totalItems`` and ``orderedItems`` (object ids, first added
first). Its curator changes it with ``Add`` / ``Remove`` (``object``: the
material, ``target``: the collection), sent to the curator's followers and
to everyone who follows the collection (following is
:mod:`.collection_follows`). Items may be materials of any node; a remote
item is fetched when it is added.

Only public and unlisted collections exist: a shelf to share. Communities
will curate collections the same way once Group actors land (the owner is
then the Group).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from actors.context import NodeContext
from content.materials.collection_follows import followers_of
from content.sanitize import plain_text
from federation.constants import PUBLIC
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, MaterialCollection, MaterialCollectionItem
from storage.types import utcnow

MAX_NAME = 200
MAX_DESCRIPTION = 5_000
MAX_ITEMS = 500


class CollectionError(ValueError):
    """A collection change the node refuses; the message is safe to show."""


def _check(name: str, description: str) -> tuple[str, str]:
    clean = " ".join((plain_text(name) or "").split())
    if not clean:
        raise CollectionError("a collection needs a name")
    if len(clean) > MAX_NAME:
        raise CollectionError(f"the name is longer than {MAX_NAME} characters")
    text = (plain_text(description) or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise CollectionError(f"the description is longer than {MAX_DESCRIPTION} characters")
    return clean, text


async def items_of(session: AsyncSession, collection_id: int) -> list[str]:
    rows = await session.exec(
        select(MaterialCollectionItem.object_ap_id)
        .where(MaterialCollectionItem.collection_id == collection_id)
        .order_by(col(MaterialCollectionItem.position), col(MaterialCollectionItem.id))
    )
    return list(rows.all())


def collection_as2(row: MaterialCollection, owner: Actor, items: list[str]) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": row.ap_id,
        "type": "OrderedCollection",
        "attributedTo": owner.ap_id,
        "name": row.name,
        "summary": row.description or None,
        "published": row.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated": row.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "totalItems": len(items),
        "orderedItems": items,
    }


async def collection_document(
    session: AsyncSession, config: NodeConfig, owner: Actor, collection_id: int
) -> dict[str, Any] | None:
    row = await session.get(MaterialCollection, collection_id)
    if row is None or not row.local or row.owner_id != owner.id:
        return None
    return collection_as2(row, owner, await items_of(session, collection_id))


async def create(
    session: AsyncSession,
    node: NodeContext,
    owner: Actor,
    *,
    name: str,
    description: str = "",
    visibility: str = "public",
) -> MaterialCollection:
    if not owner.local or owner.id is None:
        raise CollectionError("only local accounts curate collections here")
    if visibility not in ("public", "unlisted"):
        raise CollectionError("a collection is public or unlisted")
    clean, text = _check(name, description)
    collection_id = new_id()
    row = MaterialCollection(
        id=collection_id,
        ap_id=node.config.collection_url(owner.username, collection_id),
        owner_id=owner.id,
        local=True,
        name=clean,
        description=text,
        visibility=visibility,
    )
    session.add(row)
    await session.flush()
    return row


async def edit(
    session: AsyncSession, row: MaterialCollection, *, name: str | None, description: str | None
) -> MaterialCollection:
    clean, text = _check(name or row.name, row.description if description is None else description)
    row.name, row.description, row.updated_at = clean, text, utcnow()
    session.add(row)
    await session.flush()
    return row


async def _announce(
    session: AsyncSession,
    node: NodeContext,
    owner: Actor,
    row: MaterialCollection,
    kind: str,
    item: str,
) -> None:
    assert row.id is not None
    body = {
        "@context": canonical_context(),
        "id": node.config.activity_url(owner.username, new_id()),
        "type": kind,
        "actor": owner.ap_id,
        "object": item,
        "target": {"id": row.ap_id, "type": "OrderedCollection", "name": row.name},
        "to": [PUBLIC] if row.visibility == "public" else [owner.followers_url or ""],
        "cc": [owner.followers_url or f"{owner.ap_id}/followers"],
    }
    await publish(session, owner, body, extra_recipients=await followers_of(session, row.id))


async def add_item(
    session: AsyncSession, node: NodeContext, owner: Actor, row: MaterialCollection, item: str
) -> bool:
    """Add ``item`` (an object id) at the end; publishes ``Add``. False if it was there."""
    if not row.local or row.owner_id != owner.id or row.id is None:
        raise CollectionError("only its curator may change a collection")
    present = await items_of(session, row.id)
    if item in present:
        return False
    if len(present) >= MAX_ITEMS:
        raise CollectionError(f"a collection holds at most {MAX_ITEMS} items")
    session.add(
        MaterialCollectionItem(
            id=new_id(), collection_id=row.id, object_ap_id=item, position=len(present)
        )
    )
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    await _announce(session, node, owner, row, "Add", item)
    return True


async def remove_item(
    session: AsyncSession, node: NodeContext, owner: Actor, row: MaterialCollection, item: str
) -> bool:
    if not row.local or row.owner_id != owner.id or row.id is None:
        raise CollectionError("only its curator may change a collection")
    result = await session.exec(
        delete(MaterialCollectionItem).where(
            col(MaterialCollectionItem.collection_id) == row.id,
            col(MaterialCollectionItem.object_ap_id) == item,
        )
    )
    if result.rowcount == 0:
        return False
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    await _announce(session, node, owner, row, "Remove", item)
    return True


async def local_collection(session: AsyncSession, ap_id: str | None) -> MaterialCollection | None:
    if not ap_id:
        return None
    row = (
        await session.exec(select(MaterialCollection).where(MaterialCollection.ap_id == ap_id))
    ).first()
    return row if row is not None and row.local else None
