"""Finding events: upcoming, by subject or grade, community, node, organizer, a date range,
or the ones a person joined.

Lists show open events (public and unlisted) to everyone, and a signed-in
viewer also their own, the ones they take part in and those of the
members-only communities they belong to; a followers-only or
direct event is reached by its id (:func:`visible_event`), which checks like
any post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.events.model import ACTIVE
from content.timelines import readable
from storage.models import (
    Actor,
    CommunityMember,
    CommunityPost,
    ContentObject,
    EventCode,
    EventParticipant,
    EventRow,
    Follow,
    FollowState,
    Visibility,
)
from storage.types import utcnow

OPEN = (Visibility.PUBLIC.value, Visibility.UNLISTED.value)
MAX_LIMIT = 80


@dataclass(frozen=True)
class EventQuery:
    start_from: datetime | None = None
    start_to: datetime | None = None
    past: bool = False
    subject: str | None = None
    grade: str | None = None
    community_id: int | None = None
    node: str | None = None
    organizer_id: int | None = None
    joined: bool = False
    local_only: bool = False
    limit: int = 20
    offset: int = 0


def in_my_communities(viewer: Actor) -> list[ColumnElement[bool]]:
    """A members-only community's events: for its members (an accepted join is a
    ``Follow`` of the community) and moderators, whether it organizes them here
    or announced them."""
    clauses: list[ColumnElement[bool]] = []
    for mine in (
        select(Follow.followee_id).where(
            Follow.follower_id == viewer.id, Follow.state == FollowState.ACCEPTED
        ),
        select(CommunityMember.community_id).where(CommunityMember.actor_id == viewer.id),
    ):
        announced = select(CommunityPost.object_id).where(col(CommunityPost.community_id).in_(mine))
        clauses += [col(EventRow.community_id).in_(mine), col(EventRow.object_id).in_(announced)]
    return clauses


async def find(session: AsyncSession, viewer: Actor | None, query: EventQuery) -> list[EventRow]:
    stmt = select(EventRow).join(ContentObject, col(ContentObject.id) == EventRow.object_id)
    stmt = stmt.where(col(ContentObject.deleted_at).is_(None))
    mine = (
        select(EventParticipant.event_id).where(
            EventParticipant.actor_id == viewer.id, col(EventParticipant.state).in_(ACTIVE)
        )
        if viewer is not None
        else None
    )
    if query.joined:
        if mine is None:
            return []
        stmt = stmt.where(col(EventRow.object_id).in_(mine))
    elif viewer is not None and mine is not None:
        stmt = stmt.where(
            or_(
                col(EventRow.visibility).in_(OPEN),
                col(EventRow.organizer_id) == viewer.id,
                col(EventRow.object_id).in_(mine),
                *in_my_communities(viewer),
            )
        )
    else:
        stmt = stmt.where(col(EventRow.visibility).in_(OPEN))
    if query.start_from is not None:
        stmt = stmt.where(col(EventRow.start_at) >= query.start_from)
    if query.start_to is not None:
        stmt = stmt.where(col(EventRow.start_at) < query.start_to)
    if query.start_from is None and query.start_to is None and not query.past:
        stmt = stmt.where(col(EventRow.end_at) >= utcnow())
    for scheme, code in (("subject", query.subject), ("grade", query.grade)):
        if code:
            stmt = stmt.where(
                col(EventRow.object_id).in_(
                    select(EventCode.event_id).where(
                        EventCode.scheme == scheme, EventCode.code == code
                    )
                )
            )
    if query.community_id is not None:
        announced = select(CommunityPost.object_id).where(
            CommunityPost.community_id == query.community_id
        )
        stmt = stmt.where(
            or_(
                col(EventRow.community_id) == query.community_id,
                col(EventRow.object_id).in_(announced),
            )
        )
    if query.node:
        stmt = stmt.where(EventRow.domain == query.node.lower())
    if query.local_only:
        stmt = stmt.where(col(EventRow.local))
    if query.organizer_id is not None:
        stmt = stmt.where(EventRow.organizer_id == query.organizer_id)
    order = col(EventRow.start_at).desc() if query.past else col(EventRow.start_at)
    stmt = stmt.order_by(order, col(EventRow.object_id)).offset(query.offset)
    rows = await session.exec(stmt.limit(min(max(query.limit, 1), MAX_LIMIT)))
    return list(rows.all())


class EventNotFound(LookupError):
    pass


async def visible_event(
    session: AsyncSession, event_id: int, viewer: Actor | None
) -> tuple[EventRow, ContentObject]:
    """The event if ``viewer`` may read it; :class:`EventNotFound` (as for a missing one) else."""
    row = await session.get(EventRow, event_id)
    obj = await session.get(ContentObject, event_id)
    if row is None or obj is None or not await readable(session, obj, viewer):
        raise EventNotFound(event_id)
    return row, obj
