"""Announce (a boost): counted on the boosted object, which is fetched if we lack it.

Shapes met in the wild:

* Mastodon: the object's id (or its web URL); we fetch it from its origin.
* Mastodon self-boost of a followers-only post: the post embedded whole. It is
  the sender's own (same origin, ``attributedTo`` the sender), so it is
  stored from the embedded copy; nobody else's private post is accepted.
* Lemmy and Mbin communities (FEP-1b12): ``Announce{Create{Note|Page}}``.
  The inner object is fetched from its own origin (the community's copy is
  not proof of what the author wrote) and the boost recorded. Announced
  Likes, Updates and Deletes are not acted on.

Nobody's followers-only or direct post can be boosted by someone else.
The boosted post's author, if ours, gets a ``reblog`` notification (for a
local booster, :func:`local`: the boost itself is already stored).
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import OBJECT_TYPES, InvalidObjectError, attributed_to, object_from_as2
from content.interactions import announce_by_activity, receive_announce
from content.notifications import REBLOG, notify_interaction
from content.objects import fetch_object, object_by_ap_id, store_object
from content.visibility import OPEN_VISIBILITIES
from federation.vocab import id_of, type_of
from inbox.handlers.common import embedded, object_id, sender
from storage.models import Actor, ContentObject, InboxItem

RELAYED_CREATES = frozenset({"Create"})


def _target_id(item: InboxItem) -> str | None:
    doc = embedded(item)
    if doc is not None and type_of(doc) in RELAYED_CREATES:
        return id_of(doc.get("object"))
    if doc is not None and type_of(doc) not in OBJECT_TYPES and type_of(doc) is not None:
        return None  # an announced Like, Update, Delete...: not a boost
    return object_id(item)


async def _own_embedded(
    session: AsyncSession, node: NodeContext, doc: dict[str, Any], booster: Actor
) -> ContentObject | None:
    if type_of(doc) not in OBJECT_TYPES or attributed_to(doc) != booster.ap_id:
        return None
    try:
        fields = object_from_as2(doc)
    except InvalidObjectError:
        return None
    return await store_object(session, node, fields, booster)


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    target_id = _target_id(item)
    if target_id is None:
        return
    booster = await sender(session, node, item)
    obj = await object_by_ap_id(session, target_id)
    doc = embedded(item)
    if obj is None and doc is not None and id_of(doc) == target_id:
        obj = await _own_embedded(session, node, doc, booster)
    if obj is None and not node.config.is_local(target_id):
        obj = await fetch_object(session, node, target_id)
    if obj is None or obj.deleted_at is not None:
        return
    if obj.visibility not in OPEN_VISIBILITIES and obj.author_id != booster.id:
        return
    await receive_announce(session, booster, obj, item.activity_id)
    await notify_interaction(session, REBLOG, booster, obj)


async def local(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    """Our own actor's boost: :func:`content.interactions.announce` stored it; only notify."""
    row = await announce_by_activity(session, item.activity_id)
    obj = await session.get(ContentObject, row.object_id) if row is not None else None
    if obj is not None:
        await notify_interaction(session, REBLOG, await sender(session, node, item), obj)
