"""Our copies of other nodes' collections, kept apart from the shelves we curate.

A remote collection is taken from a document its origin vouches for and
then changed only by its curator's ``Add`` and ``Remove`` (the inbox checks
who sent them). Nothing here refuses or publishes, as :mod:`.collections`
does for our own shelves: a remote shelf is cut to a local one's limits instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.as2 import attributed_to
from content.materials.collections import MAX_DESCRIPTION, MAX_ITEMS, MAX_NAME, items_of
from content.sanitize import plain_text
from federation.origin import same_origin
from federation.vocab import as_list, id_of, text_of, type_of
from storage.ids import new_id
from storage.models import Actor, MaterialCollection, MaterialCollectionItem
from storage.types import utcnow


def remote_fields(doc: dict[str, Any], url: str) -> tuple[str, str, str, list[str]] | None:
    """(id, owner id, name, items) of a fetched collection document its origin vouches for."""
    doc_id, owner = doc.get("id"), attributed_to(doc)
    if (
        type_of(doc) not in ("OrderedCollection", "Collection")
        or not isinstance(doc_id, str)
        or not same_origin(doc_id, url)
        or owner is None
        or not same_origin(owner, doc_id)
    ):
        return None
    items = [
        i for i in (id_of(x) for x in as_list(doc.get("orderedItems") or doc.get("items"))) if i
    ]
    name = plain_text(text_of(doc.get("name"))) or doc_id
    return doc_id, owner, name[:MAX_NAME], items[:MAX_ITEMS]


async def store_remote(
    session: AsyncSession,
    owner: Actor,
    ap_id: str,
    name: str,
    description: str,
    items: list[str],
) -> MaterialCollection:
    """Our copy of a remote collection (new or refreshed) and its items, in order."""
    assert owner.id is not None
    row = (
        await session.exec(select(MaterialCollection).where(MaterialCollection.ap_id == ap_id))
    ).first()
    if row is None:
        row = MaterialCollection(
            id=new_id(), ap_id=ap_id, owner_id=owner.id, local=False, name=name
        )
    row.name, row.description, row.updated_at = name, description[:MAX_DESCRIPTION], utcnow()
    session.add(row)
    await session.flush()
    assert row.id is not None
    await session.exec(
        delete(MaterialCollectionItem).where(col(MaterialCollectionItem.collection_id) == row.id)
    )
    session.add_all(
        MaterialCollectionItem(id=new_id(), collection_id=row.id, object_ap_id=item, position=n)
        for n, item in enumerate(items)
    )
    await session.flush()
    return row


async def receive_change(
    session: AsyncSession, row: MaterialCollection, kind: str, item: str
) -> None:
    """An ``Add``/``Remove`` from the curator of a remote collection we hold."""
    assert row.id is not None
    if kind == "Remove":
        await session.exec(
            delete(MaterialCollectionItem).where(
                col(MaterialCollectionItem.collection_id) == row.id,
                col(MaterialCollectionItem.object_ap_id) == item,
            )
        )
    elif item not in await items_of(session, row.id):
        count = (
            await session.exec(
                select(func.count())
                .select_from(MaterialCollectionItem)
                .where(MaterialCollectionItem.collection_id == row.id)
            )
        ).one()
        if count >= MAX_ITEMS:
            return
        session.add(
            MaterialCollectionItem(
                id=new_id(), collection_id=row.id, object_ap_id=item, position=int(count)
            )
        )
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
