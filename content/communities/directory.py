"""The directory: the node's communities and the remote ones its members joined.

One query for the client API (``GET /api/v1/staffroom/communities``) and
the web page (``/communities``), so both list the same communities with the
same counts. A member count is what the viewer may know: a local
community's accepted members (hidden from outsiders when it is
members-only); a remote community's own figure, its ``followers.totalItems``
as its node publishes it (``actors.followers_count``, read when the actor is
refreshed), because our members are only a few of its members.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.communities.access import members_visible_to
from content.communities.manage import list_communities
from content.communities.membership import member_count
from storage.models import Actor, ActorType, Community, Follow, FollowState


@dataclass
class DirectoryEntry:
    """A community as a list shows it; ``community`` is None for a remote one."""

    actor: Actor
    community: Community | None
    #: None where the viewer may not know it (or a remote group does not say).
    members: int | None


async def find_community(session: AsyncSession, raw: str) -> Actor | None:
    """A community (ours or remote) named by its account id or its actor URI."""
    if raw.isdigit() and len(raw) < 20:
        actor = await session.get(Actor, int(raw))
    else:
        actor = (await session.exec(select(Actor).where(Actor.ap_id == raw))).first()
    if actor is None or actor.type != ActorType.GROUP or actor.gone:
        return None
    return actor


async def members_count(session: AsyncSession, actor: Actor, viewer: Actor | None) -> int | None:
    """The member count ``viewer`` may see (see the module's doc)."""
    if not actor.local:
        return actor.followers_count
    if not await members_visible_to(session, actor, viewer):
        return None
    return await member_count(session, actor)


async def joined_remote(
    session: AsyncSession, *, query: str | None = None, limit: int = 80
) -> list[Actor]:
    """Remote communities at least one of our people is an accepted member of."""
    joined = (
        select(Follow.followee_id)
        .join(Actor, col(Actor.id) == Follow.follower_id)
        .where(col(Actor.local), Follow.state == FollowState.ACCEPTED)
    )
    stmt = select(Actor).where(
        Actor.type == ActorType.GROUP,
        ~col(Actor.local),
        ~col(Actor.gone),
        col(Actor.id).in_(joined),
    )
    if query:
        like = f"%{query.lower()[:64]}%"
        stmt = stmt.where(
            func.lower(col(Actor.username)).like(like)
            | func.lower(col(Actor.display_name)).like(like)
        )
    return list((await session.exec(stmt.order_by(col(Actor.username)).limit(limit))).all())


async def directory(
    session: AsyncSession,
    viewer: Actor | None,
    *,
    subject: str | None = None,
    level: str | None = None,
    kind: str | None = None,
    query: str | None = None,
    limit: int = 80,
) -> list[DirectoryEntry]:
    """Ours (filtered by subject, level, kind, name), then the remote ones our members joined.

    Remote communities carry no subject, level or kind we could trust, so a
    filter on those lists ours alone; a name search covers both.
    """
    local = await list_communities(
        session, subject=subject, level=level, kind=kind, query=query, limit=limit
    )
    found: list[tuple[Actor, Community | None]] = list(local)
    if not (subject or level or kind) and len(found) < limit:
        remote = await joined_remote(session, query=query, limit=limit - len(found))
        found += [(actor, None) for actor in remote]
    return [
        DirectoryEntry(actor, community, await members_count(session, actor, viewer))
        for actor, community in found
    ]
