"""Members-only posts and the servers that may carry them: the two questions the outbox asks.

* :func:`members_only_communities` — does an activity belong to a
  members-only community? It does when it (or the post it is about)
  addresses such a community or its members collection: ours
  (``communities.visibility``) or a remote one that said so in its actor
  document (``actors.members_only``).
* :func:`members_only_hosts` — which of some hosts are known (a cached
  NodeInfo answer, ``peer_software``) to keep such posts for members. A host
  we know nothing of is not one of them: the answer is learned, with a
  fetch, by the domain layer (``actors/peers.py``) when a member joins and
  before a community announces, never while the outbox queues.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Actor,
    ActorType,
    Community,
    CommunityVisibility,
    ContentObject,
    PeerSoftware,
)


async def members_only_communities(
    session: AsyncSession, addressed: Iterable[str], object_ap_id: str | None = None
) -> list[Actor]:
    """The members-only communities among ``addressed`` (or the stored object's addressing)."""
    ids = set(addressed)
    if object_ap_id:
        row = (
            await session.exec(
                select(ContentObject.to, ContentObject.cc).where(
                    ContentObject.ap_id == object_ap_id
                )
            )
        ).first()
        if row is not None:
            ids.update(str(i) for i in [*(row[0] or []), *(row[1] or [])])
    ids.discard("")
    if not ids:
        return []
    rows = await session.exec(
        select(Actor, Community.visibility)
        .outerjoin(Community, col(Community.actor_id) == Actor.id)
        .where(
            Actor.type == ActorType.GROUP,
            col(Actor.ap_id).in_(ids) | col(Actor.followers_url).in_(ids),
        )
    )
    return [
        actor
        for actor, visibility in rows.all()
        if visibility == CommunityVisibility.MEMBERS or (not actor.local and actor.members_only)
    ]


async def members_only_hosts(session: AsyncSession, hosts: Iterable[str]) -> set[str]:
    """Those of ``hosts`` known to keep members-only posts for members.

    An expired answer still counts until it is refreshed: a server does not
    change its software between two posts, and refreshing is the domain
    layer's (it has the network); a host never asked is not trusted.
    """
    wanted = {h.lower() for h in hosts}
    if not wanted:
        return set()
    rows = await session.exec(
        select(PeerSoftware.host).where(
            col(PeerSoftware.host).in_(wanted), col(PeerSoftware.members_only)
        )
    )
    return set(rows.all())
