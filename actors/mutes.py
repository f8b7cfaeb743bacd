"""Mutes: hiding an account from one's own timelines and notifications, silently.

Unlike a block, a mute is never federated and the muted account loses
nothing: it may still follow, reply and read. Only the muter's views change,
so timelines and notifications ask :func:`muted_ids` and leave those authors
out. A timed mute (``expires_at``) simply stops counting once past; the row
is replaced by the next mute or removed by an unmute.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Actor, Mute
from storage.types import utcnow


class MuteError(ValueError):
    """A mute that makes no sense (muting yourself); the message is safe to show."""


def _active() -> ColumnElement[bool]:
    return or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > utcnow())


async def _row(session: AsyncSession, actor: Actor, target: Actor) -> Mute | None:
    query = select(Mute).where(Mute.actor_id == actor.id, Mute.target_id == target.id)
    return (await session.exec(query)).first()


async def find_mute(session: AsyncSession, actor: Actor, target: Actor) -> Mute | None:
    """The mute of ``target`` by ``actor`` while it is in force."""
    return (
        await session.exec(
            select(Mute).where(Mute.actor_id == actor.id, Mute.target_id == target.id, _active())
        )
    ).first()


async def mute(
    session: AsyncSession,
    actor: Actor,
    target: Actor,
    *,
    notifications: bool = True,
    expires_at: datetime | None = None,
) -> Mute:
    """Mute (or re-mute with new settings) ``target`` for ``actor``."""
    if actor.id == target.id:
        raise MuteError("an account cannot mute itself")
    assert actor.id is not None and target.id is not None
    row = (
        await session.exec(
            select(Mute).where(Mute.actor_id == actor.id, Mute.target_id == target.id)
        )
    ).first()
    if row is None:
        row = Mute(actor_id=actor.id, target_id=target.id)
    row.notifications = notifications
    row.expires_at = expires_at
    row.created_at = utcnow()
    session.add(row)
    await session.flush()
    return row


async def unmute(session: AsyncSession, actor: Actor, target: Actor) -> bool:
    row = (
        await session.exec(
            select(Mute).where(Mute.actor_id == actor.id, Mute.target_id == target.id)
        )
    ).first()
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def muted_ids(
    session: AsyncSession, actor: Actor, among: Iterable[int] | None = None
) -> dict[int, Mute]:
    """The accounts ``actor`` mutes now (optionally only ``among`` some), by actor id."""
    query = select(Mute).where(Mute.actor_id == actor.id, _active())
    if among is not None:
        query = query.where(col(Mute.target_id).in_(list(among)))
    return {row.target_id: row for row in (await session.exec(query)).all()}


async def muted_by(session: AsyncSession, actor: Actor) -> list[Mute]:
    """Every mute of ``actor`` in force, newest first (``GET /api/v1/mutes``)."""
    rows = await session.exec(
        select(Mute).where(Mute.actor_id == actor.id, _active()).order_by(col(Mute.id).desc())
    )
    return list(rows.all())
