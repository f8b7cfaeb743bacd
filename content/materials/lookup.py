"""Materials reached by URL: a fetched ``Article`` becomes a library entry too.

Objects fetched on demand (a search by a material's ``uri``, a reply's
parent, a collection's item) are stored by :mod:`content.objects`, which
knows nothing of materials. :func:`ensure_material` completes one: the
stored object still holds everything the Article said (our terms, the
files with their sizes and digests), so the material is read back from it
and put through the same guard as one that arrived in the inbox. A fetched
material whose files fail the guard is not kept at all (the object row the
fetch stored goes too).
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import object_to_as2
from content.materials.as2 import InvalidMaterialError, is_material, material_from_as2
from content.materials.remote import RemoteMaterialRefused, guard_files, store_remote
from storage.models import Actor, ContentObject, Material

log = logging.getLogger(__name__)


async def material_for(
    session: AsyncSession, node: NodeContext, obj: ContentObject
) -> Material | None:
    """The library row of a stored remote ``obj`` that is a material (made now if missing),
    in ``session``; None when it is not a material, or one we refuse (then ``obj`` is
    removed from ``session`` too). The guard may ask DNS for files on other origins."""
    if obj.local or obj.type != "Article" or obj.id is None or obj.deleted_at is not None:
        return None
    existing = await session.get(Material, obj.id)
    author = await session.get(Actor, obj.author_id)
    if existing is not None or author is None:
        return existing
    doc = object_to_as2(obj, author, node.config)
    if not is_material(doc):
        return None
    try:
        fields = material_from_as2(doc)
        await guard_files(fields, obj.ap_id, node.config)
    except (InvalidMaterialError, RemoteMaterialRefused) as exc:
        log.info("refusing fetched material %s: %s", obj.ap_id, exc)
        await session.delete(obj)
        await session.flush()
        return None
    return await store_remote(session, node.config, obj, author, fields)


async def ensure_material(node: NodeContext, obj: ContentObject) -> Material | None:
    """:func:`material_for` in a session of its own, committed."""
    async with node.sessions() as session:
        stored = await session.get(ContentObject, obj.id)
        if stored is None:
            return None
        material = await material_for(session, node, stored)
        await session.commit()
        return material
