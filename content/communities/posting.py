"""Posting to a community (FEP-1b12): which posts are its, the checks, and its Announces.

A post belongs to one of our communities when it addresses it (``to``,
``cc``, ``audience``, or a ``Mention`` of ``@community@node``, which is how
a Mastodon app posts to a group), or when it replies to a post the
community announced (a thread stays inside its community). The community's
node then checks that the author is a member (or a moderator), is not
banned, may post under the posting policy (announcement channels: only
moderators start threads) and that the thread is not locked, and announces
the post to its members twice:

* ``Announce{Create{Note}}`` (FEP-1b12) for group-aware servers (Lemmy,
  PieFed, Mbin, Staffroom): the whole activity, so they thread it inside
  the community;
* ``Announce{Note}`` (the id), as Lemmy does, which is what Mastodon and
  GoToSocial show as a boost by the group.

A public community addresses both to Public and its members; a members-only
one to its members collection alone, so its deliveries go only to the
inboxes of members' nodes (:func:`outbox.audience.resolve`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.peers import learn
from content.as2 import object_to_as2
from content.communities.manage import CommunityError, is_moderator
from content.communities.membership import is_banned, is_member, members
from content.objects import object_by_ap_id, recount_interactions
from federation.constants import PUBLIC
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import (
    Actor,
    ActorType,
    Announce,
    Community,
    CommunityPost,
    CommunityVisibility,
    ContentObject,
    PostingPolicy,
)

#: How far up a reply chain a thread's community is looked for.
THREAD_DEPTH = 32


def community_candidates(doc: dict[str, Any] | None, obj: ContentObject) -> list[str]:
    """Every actor id a post addresses or mentions (the activity's own addressing too)."""
    ids: list[str] = [*obj.to, *obj.cc]
    ids += [str(t.get("href")) for t in obj.tags if t.get("type") == "Mention" and t.get("href")]
    for source in (doc or {}, (doc or {}).get("object")):
        if isinstance(source, dict):
            for name in ("to", "cc", "audience"):
                value = source.get(name)
                values = value if isinstance(value, list) else [value]
                ids += [
                    v if isinstance(v, str) else str(v.get("id"))
                    for v in values
                    if isinstance(v, str) or (isinstance(v, dict) and isinstance(v.get("id"), str))
                ]
    return list(dict.fromkeys(ids))


async def local_communities(
    session: AsyncSession, node: NodeContext, ids: Iterable[str]
) -> list[tuple[Actor, Community]]:
    """Our communities among ``ids`` (their actor ids or members collections)."""
    local = [i for i in ids if node.config.is_local(i)]
    if not local:
        return []
    rows = await session.exec(
        select(Actor, Community)
        .join(Community, col(Community.actor_id) == Actor.id)
        .where(
            Actor.type == ActorType.GROUP,
            col(Actor.local),
            col(Actor.ap_id).in_(local) | col(Actor.followers_url).in_(local),
        )
    )
    return list(rows.all())


async def thread_root(session: AsyncSession, obj: ContentObject) -> ContentObject:
    """The first post of ``obj``'s thread that we hold (``obj`` itself for a new thread)."""
    current = obj
    for _ in range(THREAD_DEPTH):
        if not current.in_reply_to:
            break
        parent = await object_by_ap_id(session, current.in_reply_to)
        if parent is None:
            break
        current = parent
    return current


async def post_in(
    session: AsyncSession, community: Actor, obj: ContentObject
) -> CommunityPost | None:
    return (
        await session.exec(
            select(CommunityPost).where(
                CommunityPost.community_id == community.id, CommunityPost.object_id == obj.id
            )
        )
    ).first()


async def thread_communities(
    session: AsyncSession, obj: ContentObject
) -> list[tuple[Actor, Community]]:
    """Our communities whose threads ``obj`` replies into."""
    if not obj.in_reply_to:
        return []
    parent = await object_by_ap_id(session, obj.in_reply_to)
    return [] if parent is None else await communities_holding(session, parent)


async def communities_of_post(
    session: AsyncSession, node: NodeContext, doc: dict[str, Any] | None, obj: ContentObject
) -> list[tuple[Actor, Community]]:
    found = await local_communities(session, node, community_candidates(doc, obj))
    for pair in await thread_communities(session, obj):
        if pair[0].id not in {a.id for a, _ in found}:
            found.append(pair)
    return found


async def check_post(
    session: AsyncSession, community: Actor, settings: Community, author: Actor, obj: ContentObject
) -> None:
    """Refuse (:class:`CommunityError`) a post the community must not take."""
    if await is_banned(session, community, author):
        raise CommunityError("the author is banned from the community")
    if not await is_member(session, community, author):
        raise CommunityError("only members may post to the community")
    moderator = await is_moderator(session, community, author)
    if (
        settings.posting_policy == PostingPolicy.MODERATORS
        and not obj.in_reply_to
        and not moderator
    ):
        raise CommunityError("only moderators start threads in this community")
    root = await thread_root(session, obj)
    if root.id != obj.id:
        held = await post_in(session, community, root)
        if held is not None and held.locked and not moderator:
            raise CommunityError("the thread is locked")


def announce_addressing(community: Actor, settings: Community) -> dict[str, list[str]]:
    members = community.followers_url or f"{community.ap_id}/followers"
    if settings.visibility == CommunityVisibility.MEMBERS:
        return {"to": [members], "cc": []}
    return {"to": [PUBLIC], "cc": [members]}


def _activity(
    node: NodeContext, community: Actor, kind: str, obj: Any, **extra: Any
) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(community.username, new_id()),
        "type": kind,
        "actor": community.ap_id,
        "object": obj,
        **extra,
    }


async def announce_post(
    session: AsyncSession,
    node: NodeContext,
    community: Actor,
    settings: Community,
    obj: ContentObject,
    author: Actor,
    create_id: str,
) -> bool:
    """Record ``obj`` as the community's and announce it to the members; False if it was."""
    if await post_in(session, community, obj) is not None:
        return False
    assert community.id is not None and obj.id is not None
    if settings.visibility == CommunityVisibility.MEMBERS:
        # The outbox sends its posts only to servers known to keep them for
        # members: know every member's server before it queues.
        await learn(session, node, [m.ap_id for m in await members(session, community)])
    session.add(CommunityPost(community_id=community.id, object_id=obj.id))
    addressing = announce_addressing(community, settings)
    doc = object_to_as2(obj, author, node.config)
    doc.pop("@context", None)
    doc["audience"] = community.ap_id
    create = {
        "id": create_id,
        "type": "Create",
        "actor": author.ap_id,
        "to": list(obj.to),
        "cc": list(obj.cc),
        "audience": community.ap_id,
        "object": doc,
    }
    wrapped = _activity(node, community, "Announce", create, audience=community.ap_id, **addressing)
    await publish(session, community, wrapped)
    plain = _activity(
        node, community, "Announce", obj.ap_id, audience=community.ap_id, **addressing
    )
    if await _boost_row(session, community, obj) is None:
        session.add(Announce(actor_id=community.id, object_id=obj.id, activity_ap_id=plain["id"]))
        await session.flush()
        await recount_interactions(session, obj.id)
    await publish(session, community, plain)
    return True


async def _boost_row(
    session: AsyncSession, community: Actor, obj: ContentObject
) -> Announce | None:
    return (
        await session.exec(
            select(Announce).where(Announce.actor_id == community.id, Announce.object_id == obj.id)
        )
    ).first()


async def receive_post(
    session: AsyncSession,
    node: NodeContext,
    doc: dict[str, Any] | None,
    obj: ContentObject,
    author: Actor,
    create_id: str,
) -> int:
    """Every community of ours ``obj`` is posted to checks and announces it.

    Raises :class:`CommunityError` (the caller refuses the whole activity,
    keeping nothing) when a community it addresses refuses it.
    """
    pairs = await communities_of_post(session, node, doc, obj)
    for community, settings in pairs:
        await check_post(session, community, settings, author, obj)
    for community, settings in pairs:
        await announce_post(session, node, community, settings, obj, author, create_id)
    return len(pairs)


async def announce_delete(
    session: AsyncSession,
    node: NodeContext,
    community: Actor,
    settings: Community,
    obj: ContentObject,
    deleter: str,
    delete_id: str | None = None,
) -> None:
    """``Announce{Delete}`` of a post the community announced, to every member's node."""
    addressing = announce_addressing(community, settings)
    delete = {
        "id": delete_id or node.config.activity_url(community.username, new_id()),
        "type": "Delete",
        "actor": deleter,
        "object": obj.ap_id,
        **addressing,
    }
    wrapped = _activity(node, community, "Announce", delete, audience=community.ap_id, **addressing)
    await publish(session, community, wrapped)


async def communities_holding(
    session: AsyncSession, obj: ContentObject
) -> list[tuple[Actor, Community]]:
    """Our communities that announced ``obj``."""
    rows = await session.exec(
        select(Actor, Community)
        .join(CommunityPost, col(CommunityPost.community_id) == Actor.id)
        .join(Community, col(Community.actor_id) == Actor.id)
        .where(CommunityPost.object_id == obj.id)
    )
    return list(rows.all())
