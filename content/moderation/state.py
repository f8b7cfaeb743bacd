"""An actor's moderation state as it stands (suspended, limited, sensitized), read cheaply.

Apart from :mod:`content.moderation.actions` so that the read paths
(:func:`content.visibility.may_read`, timelines) can ask without importing
posting and publishing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import union
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Actor, ActorModeration, DomainPolicy, DomainSeverity


async def state_of(session: AsyncSession, actor_id: int) -> ActorModeration:
    row = (
        await session.exec(select(ActorModeration).where(ActorModeration.actor_id == actor_id))
    ).first()
    return row or ActorModeration(actor_id=actor_id)


async def states_of(session: AsyncSession, actor_ids: list[int]) -> dict[int, ActorModeration]:
    if not actor_ids:
        return {}
    rows = await session.exec(
        select(ActorModeration).where(col(ActorModeration.actor_id).in_(actor_ids))
    )
    return {r.actor_id: r for r in rows.all()}


async def is_suspended(session: AsyncSession, actor_id: int | None) -> bool:
    if actor_id is None:
        return False
    row = (
        await session.exec(
            select(ActorModeration.id).where(
                ActorModeration.actor_id == actor_id,
                col(ActorModeration.suspended_at).is_not(None),
            )
        )
    ).first()
    return row is not None


async def is_suspended_ap_id(session: AsyncSession, ap_id: str) -> bool:
    """Is the actor with this id (an inbox item's sender) suspended here?"""
    row = (
        await session.exec(
            select(ActorModeration.id)
            .join(Actor, Actor.id == ActorModeration.actor_id)  # type: ignore[arg-type]
            .where(Actor.ap_id == ap_id, col(ActorModeration.suspended_at).is_not(None))
        )
    ).first()
    return row is not None


def limited_actor_ids() -> Any:
    """A subquery of limited (silenced) or suspended actors, and of actors of a
    silenced domain (matched exactly), for public timelines."""
    own = select(ActorModeration.actor_id).where(
        or_(col(ActorModeration.limited), col(ActorModeration.suspended_at).is_not(None))
    )
    by_domain = (
        select(Actor.id)
        .join(DomainPolicy, DomainPolicy.domain == Actor.domain)  # type: ignore[arg-type]
        .where(DomainPolicy.severity == DomainSeverity.SILENCE)
    )
    return union(own, by_domain)
