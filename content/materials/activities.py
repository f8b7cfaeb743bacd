"""The activities that carry one of our materials to other nodes.

A material's ``Create`` and ``Update`` wrap its ``Article`` the same way
whoever sends them: :mod:`.publishing` on a create or an edit, and
:mod:`.ratings` when new rating figures are due. The ratings need only the
``Update`` (the ``objects`` row and search entry rewritten first), not the
checks and file handling of an edit.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import iso
from content.materials import search
from content.materials.as2 import material_object_fields, material_to_as2
from content.materials.model import MaterialView
from content.sanitize import plain_text
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ContentObject
from storage.types import utcnow


def material_activity(
    node: NodeContext, author: Actor, kind: str, obj: ContentObject, doc: dict[str, Any]
) -> dict[str, Any]:
    activity_id = new_id()
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(author.username, activity_id),
        "type": kind,
        "actor": author.ap_id,
        "published": iso(utcnow()),
        "to": list(obj.to),
        "cc": list(obj.cc),
        "object": {k: v for k, v in doc.items() if k != "@context"},
    }


async def sync_object(
    session: AsyncSession, node: NodeContext, obj: ContentObject, view: MaterialView
) -> None:
    """Write the material's wire fields into its ``objects`` row, and its search entry."""
    for name, value in material_object_fields(view, node.config).items():
        setattr(obj, name, value)
    session.add(obj)
    await session.flush()
    await search.index(session, view.material, plain_text(view.material.description_html) or "")


async def publish_update(
    session: AsyncSession,
    node: NodeContext,
    author: Actor,
    obj: ContentObject,
    view: MaterialView,
    *,
    extra_recipients: list[str] | None = None,
) -> None:
    """Rewrite the object from the material and send ``Update`` to its audience
    (and to ``extra_recipients``: the reviewers' nodes, for new rating figures)."""
    obj.updated_at = utcnow()
    await sync_object(session, node, obj, view)
    doc = material_to_as2(view, obj, author, node.config)
    body = material_activity(node, author, "Update", obj, doc)
    await publish(session, author, body, extra_recipients=extra_recipients)
