"""Reading a person's notifications for the API: a filtered page, one by id, the unread count.

What is listed: the recipient's notifications not dismissed, whose post (if
any) still exists. A deleted post takes its notifications with it, as in
Mastodon, where they are destroyed with the status; here the rows stay (so a
redelivery is not news again) and are simply not shown.

Filters are Mastodon's: ``types[]`` keeps only those types, ``exclude_types[]``
drops some, ``account_id`` keeps one sender's. Unknown type names match
nothing in ``types[]`` and are ignored in ``exclude_types[]``, as there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError
from api.pagination import PageParams, apply
from api.params import Params
from content.timelines import newest_first
from storage.models import Actor, ContentObject, Marker, Notification

NOT_FOUND = "Record not found"
UNREAD_DEFAULT = 100
UNREAD_MAX = 1000


@dataclass(frozen=True)
class NotificationFilter:
    types: Sequence[str] = field(default_factory=tuple)
    exclude_types: Sequence[str] = field(default_factory=tuple)
    account_id: int | None = None


def notification_filter(params: Params) -> NotificationFilter:
    raw_account = params.get("account_id")
    try:
        account_id = int(raw_account) if raw_account else None
    except ValueError:
        account_id = -1  # an id that is not ours matches nothing
    return NotificationFilter(
        types=tuple(params.get_list("types")),
        exclude_types=tuple(params.get_list("exclude_types")),
        account_id=account_id,
    )


def _visible(recipient: Actor, where: NotificationFilter) -> Any:
    live = select(ContentObject.id).where(col(ContentObject.deleted_at).is_(None))
    query = select(Notification).where(
        Notification.recipient_id == recipient.id,
        col(Notification.dismissed).is_(False),
        or_(
            col(Notification.object_id).is_(None),
            col(Notification.object_id).in_(live.scalar_subquery()),
        ),
    )
    if where.types:
        query = query.where(col(Notification.type).in_(list(where.types)))
    if where.exclude_types:
        query = query.where(col(Notification.type).not_in(list(where.exclude_types)))
    if where.account_id is not None:
        query = query.where(Notification.from_actor_id == where.account_id)
    return query


async def notifications_page(
    session: AsyncSession, recipient: Actor, where: NotificationFilter, page: PageParams
) -> list[Notification]:
    """One page of ``recipient``'s notifications, newest first."""
    rows = await session.exec(apply(_visible(recipient, where), Notification.id, page))
    return newest_first(list(rows.all()), page)


async def notification_by_id(session: AsyncSession, recipient: Actor, raw_id: str) -> Notification:
    """``recipient``'s notification ``raw_id`` (shown in lists); 404 otherwise."""
    try:
        wanted = int(raw_id)
    except ValueError:
        raise ApiError(404, NOT_FOUND) from None
    query = _visible(recipient, NotificationFilter()).where(Notification.id == wanted)
    row: Notification | None = (await session.exec(query)).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return row


async def unread_count(
    session: AsyncSession, recipient: Actor, where: NotificationFilter, limit: int | None
) -> int:
    """How many notifications are newer than the ``notifications`` read marker (capped)."""
    cap = max(1, min(limit or UNREAD_DEFAULT, UNREAD_MAX))
    query = _visible(recipient, where)
    marker = (
        await session.exec(
            select(Marker.last_read_id).where(
                Marker.actor_id == recipient.id, Marker.timeline == "notifications"
            )
        )
    ).first()
    if marker is not None and marker.isdigit():
        query = query.where(col(Notification.id) > int(marker))
    capped = query.with_only_columns(col(Notification.id)).limit(cap).subquery()
    return int((await session.exec(select(func.count()).select_from(capped))).one())
