"""Moderator actions on accounts and posts, local and remote, each with a reason in the audit log.

* ``warn``: recorded, and a local account gets a ``moderation_warning``
  notification with the text (:mod:`content.moderation.warnings`).
* ``delete_post``: a local post is deleted as its author would (a ``Delete``
  goes to everyone who had it); another node's post becomes a tombstone here.
* ``mark_sensitive``: the post's media behind a warning.
* ``limit`` (Mastodon's silence): the account leaves public timelines.
* ``suspend``: a local account cannot sign in (its tokens are refused), its
  content is hidden from everyone, and after the grace period
  (``moderation.suspension_grace_seconds``) its ``Delete`` goes to every node
  that follows it (``content.moderation.suspension``); a remote account's
  content is hidden, its activities refused and its follows cut both ways
  (:func:`cut_follows`). Lifting it within the grace period restores
  everything but those follows.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors import graph, node_settings
from actors.context import NodeContext
from content.moderation import audit
from content.moderation.state import is_suspended, state_of, states_of
from content.moderation.warnings import notify_warning
from content.objects import tombstone
from content.posts import delete_post
from storage.models import Account, Actor, ActorModeration, ContentObject, Follow, FollowState
from storage.types import utcnow

__all__ = [
    "ACCOUNT_ACTIONS",
    "ModerationError",
    "account_action",
    "is_suspended",
    "state_of",
    "states_of",
]

ACCOUNT_ACTIONS = ("none", "sensitive", "disable", "silence", "suspend")


class ModerationError(ValueError):
    """An action that cannot be taken; the message is safe to show."""


def _save(session: AsyncSession, state: ActorModeration) -> None:
    state.updated_at = utcnow()
    session.add(state)


async def _account(session: AsyncSession, actor: Actor) -> Account | None:
    return (await session.exec(select(Account).where(Account.actor_id == actor.id))).first()


async def warn(
    session: AsyncSession,
    moderator: Actor,
    target: Actor,
    reason: str,
    *,
    report_id: int | None = None,
) -> None:
    action = await audit.record(
        session, "warn", moderator=moderator, target=target, reason=reason, report_id=report_id
    )
    await notify_warning(session, target, action)


async def delete_post_as_moderator(
    session: AsyncSession,
    node: NodeContext,
    moderator: Actor,
    obj: ContentObject,
    reason: str,
    *,
    report_id: int | None = None,
) -> None:
    author = await session.get(Actor, obj.author_id)
    if author is None or obj.deleted_at is not None:
        raise ModerationError("the post is already gone")
    if obj.local:
        await delete_post(session, node, author, obj)
    else:
        await tombstone(session, obj)
    await audit.record(
        session,
        "delete_post",
        moderator=moderator,
        target=author,
        object_ap_id=obj.ap_id,
        reason=reason,
        report_id=report_id,
    )


async def mark_sensitive(
    session: AsyncSession,
    moderator: Actor,
    obj: ContentObject,
    reason: str,
    *,
    report_id: int | None = None,
) -> None:
    obj.sensitive = True
    session.add(obj)
    author = await session.get(Actor, obj.author_id)
    await audit.record(
        session,
        "mark_sensitive",
        moderator=moderator,
        target=author,
        object_ap_id=obj.ap_id,
        reason=reason,
        report_id=report_id,
    )


async def set_account_flag(
    session: AsyncSession,
    moderator: Actor,
    target: Actor,
    flag: str,
    value: bool,
    reason: str = "",
    *,
    report_id: int | None = None,
) -> ActorModeration:
    """``limited`` (silence) or ``sensitized`` on or off."""
    assert target.id is not None
    if flag not in ("limited", "sensitized"):
        raise ModerationError(f"unknown flag {flag!r}")
    state = await state_of(session, target.id)
    setattr(state, flag, value)
    _save(session, state)
    name = {"limited": "limit", "sensitized": "sensitize"}[flag]
    await audit.record(
        session,
        name if value else f"un{name}",
        moderator=moderator,
        target=target,
        reason=reason,
        report_id=report_id,
    )
    return state


async def suspend(
    session: AsyncSession,
    moderator: Actor | None,
    target: Actor,
    reason: str,
    *,
    report_id: int | None = None,
    node: NodeContext | None = None,
) -> ActorModeration:
    """Suspend ``target``; a remote account's follows are cut both ways (with ``node``:
    a ``Reject`` of its follows of our people and an ``Undo`` of theirs tell its server,
    as Mastodon does; without, the rows alone go)."""
    assert target.id is not None
    state = await state_of(session, target.id)
    if state.suspended_at is None:
        state.suspended_at = utcnow()
    if not target.local:
        await cut_follows(session, node, target)
    if target.local:
        grace = int(await node_settings.read(session, "moderation.suspension_grace_seconds"))
        state.delete_after = state.suspended_at + timedelta(seconds=grace)
        account = await _account(session, target)
        if account is not None:
            account.disabled = True
            session.add(account)
    _save(session, state)
    await audit.record(
        session, "suspend", moderator=moderator, target=target, reason=reason, report_id=report_id
    )
    return state


async def cut_follows(session: AsyncSession, node: NodeContext | None, target: Actor) -> int:
    """End every follow between a (remote) account and our people; how many."""
    rows = list(
        (
            await session.exec(
                select(Follow).where(
                    or_(col(Follow.follower_id) == target.id, col(Follow.followee_id) == target.id)
                )
            )
        ).all()
    )
    for row in rows:
        if node is not None and row.follower_id == target.id:
            if row.state == FollowState.ACCEPTED:
                await graph.reject(session, node, row)  # its server learns the follow ended
            await session.delete(row)
        elif node is not None:
            follower = await session.get(Actor, row.follower_id)
            if follower is not None and follower.local:
                await graph.unfollow(session, node, follower, target)
                continue
            await session.delete(row)
        else:
            await session.delete(row)
    await session.flush()
    return len(rows)


async def unsuspend(
    session: AsyncSession, moderator: Actor, target: Actor, reason: str = ""
) -> ActorModeration:
    assert target.id is not None
    state = await state_of(session, target.id)
    if state.deleted_federated_at is not None:
        raise ModerationError("the account was deleted after its grace period")
    state.suspended_at = None
    state.delete_after = None
    if target.local:
        account = await _account(session, target)
        if account is not None:
            account.disabled = False
            session.add(account)
    _save(session, state)
    await audit.record(session, "unsuspend", moderator=moderator, target=target, reason=reason)
    return state


async def disable(
    session: AsyncSession, moderator: Actor, target: Actor, value: bool, reason: str = ""
) -> None:
    account = await _account(session, target)
    if account is None:
        raise ModerationError("only a local account can be disabled")
    account.disabled = value
    session.add(account)
    await audit.record(
        session, "disable" if value else "enable", moderator=moderator, target=target, reason=reason
    )


async def account_action(
    session: AsyncSession,
    moderator: Actor,
    target: Actor,
    kind: str,
    reason: str,
    *,
    report_id: int | None = None,
    node: NodeContext | None = None,
) -> None:
    """Mastodon's ``POST /api/v1/admin/accounts/:id/action`` types."""
    if kind == "none":
        await warn(session, moderator, target, reason, report_id=report_id)
    elif kind == "sensitive":
        await set_account_flag(
            session, moderator, target, "sensitized", True, reason, report_id=report_id
        )
    elif kind == "silence":
        await set_account_flag(
            session, moderator, target, "limited", True, reason, report_id=report_id
        )
    elif kind == "suspend":
        await suspend(session, moderator, target, reason, report_id=report_id, node=node)
    elif kind == "disable":
        await disable(session, moderator, target, True, reason)
    else:
        raise ModerationError(f"type must be one of {', '.join(ACCOUNT_ACTIONS)}")
