"""Reading accounts for the API: by id or handle, their followers, follows and requests.

Which actors count as accounts: people, communities and services, local or
remote, but not the node's own instance actor (an implementation detail that
signs fetches; Mastodon hides its own the same way) and not actors that
deleted themselves.

Lists come back as ``(paging id, actor)`` pairs newest first: follower lists
are paged by the follow row's id, as Mastodon pages them by its follow ids,
so ``Link`` headers stay stable while accounts come and go.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.roles import INSTANCE_ACTOR_USERNAME
from api.errors import ApiError
from api.pagination import PageParams, apply
from content.resolve import is_listed, split_acct
from content.timelines import newest_first
from storage.models import Account, Actor, ActorModeration, Follow, FollowState, Role

NOT_FOUND = "Record not found"


def _listed() -> list[ColumnElement[bool]]:
    return [
        col(Actor.gone).is_(False),
        or_(
            col(Actor.local_username).is_(None),
            col(Actor.local_username) != INSTANCE_ACTOR_USERNAME,
        ),
    ]


async def actor_by_id(session: AsyncSession, raw_id: str) -> Actor:
    """The account ``raw_id`` names (its string id from an entity); 404 otherwise."""
    try:
        actor_id = int(raw_id)
    except ValueError:
        raise ApiError(404, NOT_FOUND) from None
    actor = await session.get(Actor, actor_id)
    if actor is None or not is_listed(actor):
        raise ApiError(404, NOT_FOUND)
    return actor


async def actors_by_ids(session: AsyncSession, raw_ids: list[str]) -> list[Actor]:
    """The listed accounts among ``raw_ids``, in the order asked, unknown ids skipped."""
    ids: list[int] = []
    for raw in raw_ids:
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    if not ids:
        return []
    rows = (await session.exec(select(Actor).where(col(Actor.id).in_(ids)))).all()
    by_id = {a.id: a for a in rows if is_listed(a)}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]


async def actor_by_acct(session: AsyncSession, local_domain: str, acct: str) -> Actor | None:
    """A local or already-known remote account by handle; no network (``accounts/lookup``)."""
    user, host = split_acct(acct)
    if not user:
        return None
    query = select(Actor).where(func.lower(Actor.username) == user.lower(), *_listed())
    if host is None or host == local_domain.lower():
        query = query.where(col(Actor.local))
    else:
        query = query.where(Actor.domain == host, col(Actor.local).is_(False))
    return (await session.exec(query)).first()


async def _follow_page(
    session: AsyncSession, page: PageParams, *, target: Actor, incoming: bool, state: str
) -> list[tuple[int, Actor]]:
    other = Follow.follower_id if incoming else Follow.followee_id
    mine = Follow.followee_id if incoming else Follow.follower_id
    query = (
        select(Follow.id, Actor)
        .join(Actor, col(Actor.id) == col(other))
        .where(col(mine) == target.id, Follow.state == state, *_listed())
    )
    rows = (await session.exec(apply(query, Follow.id, page))).all()
    return [(int(follow_id or 0), actor) for follow_id, actor in newest_first(rows, page)]


async def followers(
    session: AsyncSession, actor: Actor, page: PageParams
) -> list[tuple[int, Actor]]:
    """Accepted followers of ``actor``, newest follow first."""
    return await _follow_page(
        session, page, target=actor, incoming=True, state=FollowState.ACCEPTED
    )


async def following(
    session: AsyncSession, actor: Actor, page: PageParams
) -> list[tuple[int, Actor]]:
    """Accounts ``actor`` follows (accepted), newest follow first."""
    return await _follow_page(
        session, page, target=actor, incoming=False, state=FollowState.ACCEPTED
    )


async def follow_requests(
    session: AsyncSession, actor: Actor, page: PageParams
) -> list[tuple[int, Actor]]:
    """Pending requests to follow ``actor``, newest first (``GET /api/v1/follow_requests``)."""
    return await _follow_page(session, page, target=actor, incoming=True, state=FollowState.PENDING)


async def familiar_followers(
    session: AsyncSession, viewer: Actor, target: Actor, limit: int = 40
) -> list[Actor]:
    """Accounts the viewer follows that also follow ``target``."""
    mine = (
        select(Follow.followee_id)
        .where(Follow.follower_id == viewer.id, Follow.state == FollowState.ACCEPTED)
        .scalar_subquery()
    )
    query = (
        select(Actor)
        .join(Follow, col(Follow.follower_id) == col(Actor.id))
        .where(
            Follow.followee_id == target.id,
            Follow.state == FollowState.ACCEPTED,
            col(Follow.follower_id).in_(mine),
            col(Actor.id) != viewer.id,
            *_listed(),
        )
        .order_by(col(Follow.id).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_accounts(
    session: AsyncSession,
    query_text: str,
    *,
    limit: int,
    offset: int = 0,
    following_of: Actor | None = None,
) -> list[Actor]:
    """Accounts whose handle starts with, or display name contains, ``query_text``.

    ``user@host`` narrows to that host. Exact handle matches come first, then
    local accounts, then by name. Only discoverable accounts are offered to
    strangers' searches except by exact handle, as Mastodon does.
    """
    user, host = split_acct(query_text)
    if not user:
        return []
    pattern = _escape_like(user.lower())
    exact = func.lower(Actor.username) == user.lower()
    by_name = or_(
        func.lower(Actor.username).like(f"{pattern}%", escape="\\"),
        func.lower(Actor.display_name).like(f"%{pattern}%", escape="\\"),
    )
    query = select(Actor).where(*_listed(), or_(exact, by_name))
    # A student is absent from everyone's search (the school finds them
    # through the admin API); not even an exact handle finds one.
    students = select(Account.actor_id).where(Account.role == Role.STUDENT)
    query = query.where(col(Actor.id).not_in(students.scalar_subquery()))
    # Nor is a suspended account (or one of a suspended domain).
    suspended = select(ActorModeration.actor_id).where(
        col(ActorModeration.suspended_at).is_not(None)
    )
    query = query.where(col(Actor.id).not_in(suspended.scalar_subquery()))
    if host is not None:
        query = query.where(Actor.domain == host)
    if following_of is not None:
        followed = select(Follow.followee_id).where(
            Follow.follower_id == following_of.id, Follow.state == FollowState.ACCEPTED
        )
        query = query.where(col(Actor.id).in_(followed.scalar_subquery()))
    else:
        query = query.where(or_(exact, col(Actor.discoverable)))
    query = (
        query.order_by(exact.desc(), col(Actor.local).desc(), col(Actor.username))
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(query)).all())
