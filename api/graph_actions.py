"""The viewer acting on another account: follow, unfollow, block, mute, answer requests.

Thin wrappers over :mod:`actors.graph` and :mod:`actors.mutes` that add
Mastodon's refusals (403 ``This action is not allowed`` to follow someone who
blocks you or whom you block, 422 for acting on yourself) and return the
:class:`~storage.models.Follow` rows or nothing. The caller commits: the
published activity is queued in the same transaction as the row change.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors import graph, mutes
from actors.context import NodeContext
from api.errors import ApiError
from api.pagination import PageParams, apply
from content.timelines import newest_first
from storage.models import Actor, Block, FollowState, Mute
from storage.types import utcnow

NOT_ALLOWED = "This action is not allowed"


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, f"Validation failed: {message}")


async def follow(session: AsyncSession, node: NodeContext, viewer: Actor, target: Actor) -> None:
    if viewer.id == target.id:
        raise ApiError(403, NOT_ALLOWED)
    blocked = await graph.blocks(session, target.id, viewer.id)
    if blocked or await graph.blocks(session, viewer.id, target.id):
        raise ApiError(403, NOT_ALLOWED)
    try:
        await graph.follow(session, node, viewer, target)
    except graph.GraphError as exc:
        raise _unprocessable(str(exc)) from None


async def unfollow(session: AsyncSession, node: NodeContext, viewer: Actor, target: Actor) -> None:
    await graph.unfollow(session, node, viewer, target)


async def remove_from_followers(
    session: AsyncSession, node: NodeContext, viewer: Actor, target: Actor
) -> None:
    """Drop ``target`` as a follower (a Reject of their Follow tells their server)."""
    row = await graph.find_follow(session, target.id, viewer.id)
    if row is not None and row.state == FollowState.ACCEPTED:
        await graph.reject(session, node, row)


async def block(session: AsyncSession, node: NodeContext, viewer: Actor, target: Actor) -> None:
    try:
        await graph.block(session, node, viewer, target)
    except graph.GraphError as exc:
        raise _unprocessable(str(exc)) from None


async def unblock(session: AsyncSession, node: NodeContext, viewer: Actor, target: Actor) -> None:
    await graph.unblock(session, node, viewer, target)


async def mute(
    session: AsyncSession, viewer: Actor, target: Actor, *, notifications: bool, duration: int
) -> None:
    """Mute ``target``; ``duration`` seconds (0: until unmuted)."""
    if duration < 0:
        raise _unprocessable("duration must not be negative")
    expires = utcnow() + timedelta(seconds=duration) if duration else None
    try:
        await mutes.mute(session, viewer, target, notifications=notifications, expires_at=expires)
    except mutes.MuteError as exc:
        raise _unprocessable(str(exc)) from None


async def unmute(session: AsyncSession, viewer: Actor, target: Actor) -> None:
    await mutes.unmute(session, viewer, target)


async def answer_request(
    session: AsyncSession, node: NodeContext, viewer: Actor, requester: Actor, *, accept: bool
) -> None:
    """Authorize or reject ``requester``'s pending follow of ``viewer``; 404 if there is none."""
    row = await graph.find_follow(session, requester.id, viewer.id)
    if row is None or row.state != FollowState.PENDING:
        raise ApiError(404, "Record not found")
    if accept:
        await graph.approve(session, node, row)
    else:
        await graph.reject(session, node, row)


async def blocked_accounts(
    session: AsyncSession, viewer: Actor, page: PageParams
) -> list[tuple[int, Actor]]:
    """Accounts ``viewer`` blocks, newest block first (paged by the block's id)."""
    query = (
        select(Block.id, Actor)
        .join(Actor, col(Actor.id) == col(Block.target_id))
        .where(Block.actor_id == viewer.id)
    )
    rows = (await session.exec(apply(query, Block.id, page))).all()
    return [(int(row_id or 0), actor) for row_id, actor in newest_first(rows, page)]


async def muted_accounts(
    session: AsyncSession, viewer: Actor, page: PageParams
) -> list[tuple[Mute, Actor]]:
    """Accounts ``viewer`` mutes now, newest mute first (paged by the mute's id)."""
    active = [m.id for m in await mutes.muted_by(session, viewer)]
    query = (
        select(Mute, Actor)
        .join(Actor, col(Actor.id) == col(Mute.target_id))
        .where(col(Mute.id).in_(active))
    )
    rows = (await session.exec(apply(query, Mute.id, page))).all()
    return [(row, actor) for row, actor in newest_first(rows, page)]
