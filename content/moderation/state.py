"""An actor's moderation state as it stands (suspended, limited, sensitized), read cheaply.

Apart from :mod:`content.moderation.actions` so that the read paths
(:func:`content.visibility.may_read`, timelines) can ask without importing
posting and publishing.
"""

from __future__ import annotations

from collections.abc import Iterable
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


_SUSPENDED = "content.moderation.suspended"


async def remember_suspended(session: AsyncSession, ap_ids: Iterable[str]) -> None:
    """Which of many senders are suspended, in one query, for :func:`is_suspended_ap_id`.

    The inbox worker asks once per batch; the answers hold for this session
    (a suspension committed meanwhile is seen by the next batch).
    """
    wanted = sorted(set(ap_ids))
    suspended: set[str] = set()
    for start in range(0, len(wanted), 500):
        rows = await session.exec(
            select(Actor.ap_id)
            .join(ActorModeration, Actor.id == ActorModeration.actor_id)  # type: ignore[arg-type]
            .where(
                col(Actor.ap_id).in_(wanted[start : start + 500]),
                col(ActorModeration.suspended_at).is_not(None),
            )
        )
        suspended.update(rows.all())
    session.info[_SUSPENDED] = (set(wanted), suspended)


def forget_suspended(session: AsyncSession) -> None:
    session.info.pop(_SUSPENDED, None)


async def is_suspended_ap_id(session: AsyncSession, ap_id: str) -> bool:
    """Is the actor with this id (an inbox item's sender) suspended here?"""
    remembered: tuple[set[str], set[str]] | None = session.info.get(_SUSPENDED)
    if remembered is not None and ap_id in remembered[0]:
        return ap_id in remembered[1]
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
