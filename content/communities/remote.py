"""What a member's node keeps of a community's Announces (remote communities).

* ``Announce{Create{Note}}`` and ``Announce{Note}``: the post is fetched from
  its own origin (the community's copy is not proof of what the author
  wrote) and recorded as the community's (``community_posts``) and as its
  boost, so it shows in the members' home timelines and on the community's
  page. A post of a *members-only* community cannot be fetched by a node
  (only by members); it is taken from the community's Announce only when it
  is addressed to that very community: the community answers for what its
  members post to it, and nobody else's posts can be planted that way.
* ``Announce{Delete}``: a moderator removed a post; it is tombstoned here
  when this community announced it (and only then).

Announced Likes, Updates and the rest change nothing here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.as2 import InvalidActorError, remote_actor_fields
from actors.context import NodeContext
from actors.peers import learn
from actors.remote import actor_by_ap_id, upsert_remote_actor
from content.as2 import OBJECT_TYPES, InvalidObjectError, attributed_to, object_from_as2
from content.events.remote import sync_remote
from content.interactions import receive_announce
from content.materials.lookup import material_for
from content.objects import fetch_object, object_by_ap_id, store_object, tombstone
from federation.errors import FederationError
from federation.origin import same_origin
from federation.vocab import id_of, ids_of, type_of
from storage.models import Actor, CommunityPost, ContentObject


class AnnounceRefused(ValueError):
    """An Announce of a community that must keep nothing."""


def announced(doc: dict[str, Any] | None, fallback: str | None) -> tuple[str | None, str | None]:
    """(inner activity type or None, the announced object's id)."""
    if doc is None:
        return None, fallback
    kind = type_of(doc)
    if kind in OBJECT_TYPES:
        return None, id_of(doc)
    return kind, id_of(doc.get("object"))


def addressed_to(doc: dict[str, Any], community: Actor) -> bool:
    own = {community.ap_id, community.followers_url}
    found = set()
    for name in ("to", "cc", "audience"):
        found.update(ids_of(doc.get(name)))
    return bool(found & own)


async def refresh_member_count(session: AsyncSession, node: NodeContext, group: Actor) -> None:
    """Read a remote community's member count again (our member was just accepted)."""
    if group.local or group.type != "Group" or not group.followers_url:
        return
    group.followers_count = await node.remote.total_items(group.followers_url)
    session.add(group)


async def record(session: AsyncSession, community: Actor, obj: ContentObject) -> None:
    """Remember that ``community`` announced ``obj`` (once), and count its boost."""
    assert community.id is not None and obj.id is not None
    exists = (
        await session.exec(
            select(CommunityPost.id).where(
                CommunityPost.community_id == community.id, CommunityPost.object_id == obj.id
            )
        )
    ).first()
    if exists is None:
        session.add(CommunityPost(community_id=community.id, object_id=obj.id))
        await session.flush()


async def _embedded_object(
    session: AsyncSession, node: NodeContext, community: Actor, inner: dict[str, Any]
) -> ContentObject | None:
    """A members-only post from the community's Announce, under the rule above."""
    doc = inner.get("object")
    if not isinstance(doc, dict) or type_of(doc) not in OBJECT_TYPES:
        return None
    author_id = attributed_to(doc)
    doc_id = id_of(doc)
    if (
        author_id is None
        or doc_id is None
        or not same_origin(author_id, doc_id)
        or id_of(inner.get("actor")) != author_id
        or not addressed_to(doc, community)
    ):
        return None
    try:
        fields = object_from_as2(doc)
    except InvalidObjectError:
        return None
    author = await actor_by_ap_id(session, author_id)
    if author is None:
        try:
            author_fields = remote_actor_fields(
                await node.remote.fetch_document(author_id), author_id
            )
        except (FederationError, InvalidActorError):
            return None
        author = await upsert_remote_actor(session, author_fields)
    return await store_object(session, node, fields, author)


async def receive(
    session: AsyncSession,
    node: NodeContext,
    community: Actor,
    body: dict[str, Any],
    activity_id: str,
    *,
    vouched: dict[str, Any] | None = None,
) -> bool:
    """An Announce by a remote ``community``.

    ``vouched`` is the ``Create`` the community embedded when it lives on
    another origin (the inbox cut it back to its id in ``object``): used
    only for a post no node can fetch, under the rule of the module's doc.
    """
    obj_field = body.get("object")
    inner = obj_field if isinstance(obj_field, dict) else None
    if inner is None and vouched is not None and id_of(vouched) == id_of(obj_field):
        inner = vouched
    kind, target = announced(inner, id_of(obj_field))
    if target is None:
        return True
    if kind == "Delete":
        obj = await object_by_ap_id(session, target)
        if obj is not None and not obj.local:
            held = (
                await session.exec(
                    select(CommunityPost.id).where(
                        CommunityPost.community_id == community.id,
                        CommunityPost.object_id == obj.id,
                    )
                )
            ).first()
            if held is not None:
                await tombstone(session, obj)
        return True
    if kind not in (None, "Create"):
        return True  # announced Likes, Updates...: not acted on
    obj = await object_by_ap_id(session, target)
    if obj is None and not node.config.is_local(target):
        obj = await fetch_object(session, node, target)
    if obj is None and inner is not None and kind == "Create":
        obj = await _embedded_object(session, node, community, inner)
    if obj is None or obj.deleted_at is not None:
        if kind == "Create":
            raise AnnounceRefused("the announced post cannot be fetched from its origin")
        return True
    if community.members_only:
        # Our members answer in its threads: keep knowing its server's software.
        await learn(session, node, [community.ap_id])
    if obj.type == "Article":
        await material_for(session, node, obj)  # a material's library rows
        if inspect(obj).was_deleted:
            return True  # a material its guard refused (removed again)
    if obj.type == "Event":
        row = await sync_remote(session, obj)  # its event row: listed, joined, in calendars
        if row is not None and row.community_id is None:
            row.community_id = community.id
            session.add(row)
    await record(session, community, obj)
    await receive_announce(session, community, obj, activity_id)
    return True
