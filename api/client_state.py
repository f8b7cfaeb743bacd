"""Per-account client state the API keeps: read markers and lists.

Both belong to one local actor and are never shown to anyone else. A list
may only hold accounts its owner follows (Mastodon's rule: a list is a
subset of one's follows), so a list cannot be used to watch someone
unnoticed.
"""

from __future__ import annotations

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError
from storage.models import Actor, Follow, FollowState, ListMember, Marker, UserList
from storage.types import utcnow

TIMELINES = ("home", "notifications")
REPLIES_POLICIES = ("followed", "list", "none")
NOT_FOUND = "Record not found"


async def markers(session: AsyncSession, actor: Actor, timelines: list[str]) -> list[Marker]:
    wanted = [t for t in timelines if t in TIMELINES] or list(TIMELINES)
    rows = await session.exec(
        select(Marker).where(Marker.actor_id == actor.id, col(Marker.timeline).in_(wanted))
    )
    return list(rows.all())


async def save_marker(
    session: AsyncSession, actor: Actor, timeline: str, last_read_id: str
) -> Marker:
    """Set a timeline's marker, bumping its version (Mastodon's optimistic-lock counter)."""
    row = (
        await session.exec(
            select(Marker).where(Marker.actor_id == actor.id, Marker.timeline == timeline)
        )
    ).first()
    if row is None:
        assert actor.id is not None
        row = Marker(actor_id=actor.id, timeline=timeline, last_read_id=last_read_id)
    else:
        row.version += 1
        row.last_read_id = last_read_id
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    return row


async def lists_of(session: AsyncSession, actor: Actor) -> list[UserList]:
    rows = await session.exec(
        select(UserList).where(UserList.actor_id == actor.id).order_by(col(UserList.title))
    )
    return list(rows.all())


async def own_list(session: AsyncSession, actor: Actor, raw_id: str) -> UserList:
    """One of ``actor``'s lists; 404 for an unknown id or someone else's list."""
    try:
        list_id = int(raw_id)
    except ValueError:
        raise ApiError(404, NOT_FOUND) from None
    row = await session.get(UserList, list_id)
    if row is None or row.actor_id != actor.id:
        raise ApiError(404, NOT_FOUND)
    return row


def _check(title: str | None, replies_policy: str | None) -> None:
    if title is not None and not title.strip():
        raise ApiError(422, "Validation failed: Title can't be blank")
    if title is not None and len(title) > 255:
        raise ApiError(422, "Validation failed: Title is too long (maximum is 255 characters)")
    if replies_policy is not None and replies_policy not in REPLIES_POLICIES:
        raise ApiError(422, "Validation failed: Replies policy is not included in the list")


async def create_list(
    session: AsyncSession, actor: Actor, title: str, replies_policy: str, exclusive: bool
) -> UserList:
    _check(title, replies_policy)
    assert actor.id is not None
    row = UserList(
        actor_id=actor.id, title=title.strip(), replies_policy=replies_policy, exclusive=exclusive
    )
    session.add(row)
    await session.flush()
    return row


async def update_list(
    session: AsyncSession,
    row: UserList,
    *,
    title: str | None,
    replies_policy: str | None,
    exclusive: bool | None,
) -> UserList:
    _check(title, replies_policy)
    if title is not None:
        row.title = title.strip()
    if replies_policy is not None:
        row.replies_policy = replies_policy
    if exclusive is not None:
        row.exclusive = exclusive
    session.add(row)
    await session.flush()
    return row


async def delete_list(session: AsyncSession, row: UserList) -> None:
    await session.exec(delete(ListMember).where(col(ListMember.list_id) == row.id))
    await session.delete(row)
    await session.flush()


async def list_members(session: AsyncSession, row: UserList) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(ListMember, col(ListMember.target_id) == col(Actor.id))
        .where(ListMember.list_id == row.id)
        .order_by(col(ListMember.id))
    )
    return list(rows.all())


async def add_members(session: AsyncSession, row: UserList, owner: Actor, ids: list[int]) -> None:
    """Add accounts the owner follows; anyone else is refused with 404, as Mastodon does."""
    followed = set(
        (
            await session.exec(
                select(Follow.followee_id).where(
                    Follow.follower_id == owner.id,
                    Follow.state == FollowState.ACCEPTED,
                    col(Follow.followee_id).in_(ids),
                )
            )
        ).all()
    )
    if any(i not in followed for i in ids):
        raise ApiError(404, NOT_FOUND)
    present = set(
        (
            await session.exec(
                select(ListMember.target_id).where(
                    ListMember.list_id == row.id, col(ListMember.target_id).in_(ids)
                )
            )
        ).all()
    )
    assert row.id is not None
    for target_id in dict.fromkeys(ids):
        if target_id not in present:
            session.add(ListMember(list_id=row.id, target_id=target_id))
    await session.flush()


async def remove_members(session: AsyncSession, row: UserList, ids: list[int]) -> None:
    await session.exec(
        delete(ListMember).where(
            col(ListMember.list_id) == row.id, col(ListMember.target_id).in_(ids)
        )
    )
    await session.flush()


async def lists_containing(session: AsyncSession, owner: Actor, target: Actor) -> list[UserList]:
    rows = await session.exec(
        select(UserList)
        .join(ListMember, col(ListMember.list_id) == col(UserList.id))
        .where(UserList.actor_id == owner.id, ListMember.target_id == target.id)
        .order_by(col(UserList.title))
    )
    return list(rows.all())
