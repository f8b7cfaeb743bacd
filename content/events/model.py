"""Loading an event with what belongs to it, and counting its participants.

The accepted count is always counted from the rows (never incremented), so
a redelivered Join or a race between two approvals cannot skew it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Actor, EventCode, EventParticipant, EventRow

ACCEPTED, PENDING, WAITING, REJECTED = "accepted", "pending", "waiting", "rejected"
#: Participants who are told of changes (not the refused).
ACTIVE = (ACCEPTED, PENDING, WAITING)


@dataclass
class EventView:
    row: EventRow
    subjects: list[str]
    grades: list[str]


async def codes(session: AsyncSession, event_id: int) -> tuple[list[str], list[str]]:
    rows = await session.exec(
        select(EventCode.scheme, EventCode.code).where(EventCode.event_id == event_id)
    )
    found = rows.all()
    subjects = sorted(code for scheme, code in found if scheme == "subject")
    grades = sorted(code for scheme, code in found if scheme == "grade")
    return subjects, grades


async def load_view(session: AsyncSession, event_id: int) -> EventView | None:
    row = await session.get(EventRow, event_id)
    if row is None:
        return None
    subjects, grades = await codes(session, event_id)
    return EventView(row, subjects, grades)


async def accepted_count(session: AsyncSession, event_id: int) -> int:
    return int(
        (
            await session.exec(
                select(func.count()).where(
                    EventParticipant.event_id == event_id, EventParticipant.state == ACCEPTED
                )
            )
        ).one()
    )


async def participation(
    session: AsyncSession, event_id: int, actor_id: int
) -> EventParticipant | None:
    return (
        await session.exec(
            select(EventParticipant).where(
                EventParticipant.event_id == event_id, EventParticipant.actor_id == actor_id
            )
        )
    ).first()


async def participants(
    session: AsyncSession, event_id: int, states: tuple[str, ...] = ACTIVE
) -> list[tuple[EventParticipant, Actor]]:
    rows = await session.exec(
        select(EventParticipant, Actor)
        .join(Actor, col(Actor.id) == EventParticipant.actor_id)
        .where(EventParticipant.event_id == event_id, col(EventParticipant.state).in_(states))
        .order_by(col(EventParticipant.created_at), col(EventParticipant.id))
    )
    return [(p, a) for p, a in rows.all()]
