"""What the Instance entities report about this node: counts, peers, weekly activity, contact.

Reads only; counted over our own tables. ``status_count`` and the weekly
``statuses`` figure count live local posts of every visibility, as Mastodon's
do: numbers, not content, so nothing private leaks through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from actors.usage import usage
from storage.models import Account, Actor, ContentObject, Role
from storage.types import utcnow

ACTIVITY_WEEKS = 12


@dataclass(frozen=True)
class Stats:
    user_count: int
    status_count: int
    domain_count: int
    active_month: int


async def _count(session: AsyncSession, query: SelectOfScalar[int]) -> int:
    return int((await session.exec(query)).one())


def _local_posts() -> SelectOfScalar[int]:
    return (
        select(func.count())
        .select_from(ContentObject)
        .where(col(ContentObject.local), col(ContentObject.deleted_at).is_(None))
    )


async def peers(session: AsyncSession) -> list[str]:
    """Every other host we know an actor of, sorted (``/api/v1/instance/peers``)."""
    rows = await session.exec(
        select(Actor.domain).where(col(Actor.local).is_(False)).distinct().order_by(Actor.domain)
    )
    return [domain for domain in rows.all() if domain]


async def stats(session: AsyncSession) -> Stats:
    figures = await usage(session)
    domains = await _count(
        session,
        select(func.count(func.distinct(Actor.domain))).where(col(Actor.local).is_(False)),
    )
    return Stats(
        user_count=figures.users_total,
        status_count=await _count(session, _local_posts()),
        domain_count=domains,
        active_month=figures.active_month,
    )


@dataclass(frozen=True)
class Week:
    start: datetime
    statuses: int
    logins: int
    registrations: int


async def weekly_activity(session: AsyncSession, weeks: int = ACTIVITY_WEEKS) -> list[Week]:
    """The last ``weeks`` weeks, newest first, each from Monday 00:00 UTC."""
    now = utcnow()
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    result = []
    for back in range(weeks):
        start = monday - timedelta(weeks=back)
        end = start + timedelta(weeks=1)
        posts = _local_posts().where(
            col(ContentObject.published) >= start, col(ContentObject.published) < end
        )
        logins = (
            select(func.count())
            .select_from(Account)
            .where(col(Account.last_active_at) >= start, col(Account.last_active_at) < end)
        )
        registrations = (
            select(func.count())
            .select_from(Account)
            .where(col(Account.created_at) >= start, col(Account.created_at) < end)
        )
        result.append(
            Week(
                start=start,
                statuses=await _count(session, posts),
                logins=await _count(session, logins),
                registrations=await _count(session, registrations),
            )
        )
    return result


async def contact(session: AsyncSession) -> tuple[Account, Actor] | None:
    """The first admin (by account id): the node's contact in the Instance entity."""
    row = (
        await session.exec(
            select(Account, Actor)
            .join(Actor, col(Account.actor_id) == col(Actor.id))
            .where(Account.role == Role.ADMIN, col(Account.disabled).is_(False))
            .order_by(col(Account.id))
        )
    ).first()
    return (row[0], row[1]) if row is not None else None
