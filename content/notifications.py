"""Notifications: telling a local actor what others did to them, once, and only what they may see.

The inbox handlers call these where an event happens (a Follow, Like,
Announce, Create or Update received), for remote senders and, through our own
inbox (``LOCAL_HANDLERS``), for local ones alike; so a local colleague's like
notifies exactly as a remote one does, and exactly once.

Rules every notification obeys (:func:`notify`):

* the recipient is one of ours, and never hears of their own actions;
* nobody is notified by someone they block, or mute with notifications hidden;
* a notification about a post is only made for a recipient who may read the
  post (:func:`content.visibility.may_read`): a followers-only reply that
  mentions a stranger does not reach that stranger this way either;
* one row per (recipient, type, sender, post): redeliveries and retries dedupe
  (an ``update`` is renewed instead, since each edit is news).

Each new notification also writes a ``notification`` stream event in the same
transaction, for apps connected to the streaming API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.mutes import muted_ids
from content.visibility import may_read
from storage.models import (
    Actor,
    Announce,
    Block,
    ContentObject,
    Follow,
    FollowState,
    Notification,
    StreamEvent,
)
from storage.repos import by_id

MENTION = "mention"
REBLOG = "reblog"
FOLLOW = "follow"
FOLLOW_REQUEST = "follow_request"
FAVOURITE = "favourite"
UPDATE = "update"
POLL = "poll"
STATUS = "status"
#: Staffroom's own: an event the recipient joined starts soon (Mastodon apps show it
#: with its status, or skip it; both are harmless).
EVENT_REMINDER = "event_reminder"
#: Staffroom's own: a community passed to the recipient when its owner's account was
#: erased (from the community; see content.communities.succession).
COMMUNITY_OWNER = "community_owner"
#: Types where each new one is news and replaces the last (not deduplicated).
RENEWED = frozenset({UPDATE, EVENT_REMINDER})


async def _blocked_or_muted(session: AsyncSession, recipient: Actor, sender: Actor) -> bool:
    block = await session.exec(
        select(Block.id).where(Block.actor_id == recipient.id, Block.target_id == sender.id)
    )
    if block.first() is not None:
        return True
    assert sender.id is not None
    mute = (await muted_ids(session, recipient, [sender.id])).get(sender.id)
    return mute is not None and mute.notifications


async def _existing(
    session: AsyncSession, recipient: Actor, kind: str, sender: Actor, obj: ContentObject | None
) -> Notification | None:
    query = select(Notification).where(
        Notification.recipient_id == recipient.id,
        Notification.type == kind,
        Notification.from_actor_id == sender.id,
    )
    if obj is None:
        query = query.where(col(Notification.object_id).is_(None))
    else:
        query = query.where(Notification.object_id == obj.id)
    return (await session.exec(query)).first()


async def notify(
    session: AsyncSession,
    recipient: Actor,
    kind: str,
    sender: Actor,
    obj: ContentObject | None = None,
    *,
    allow_self: bool = False,
) -> Notification | None:
    """Notify ``recipient`` that ``sender`` did ``kind`` (about ``obj``); None when not due.

    ``allow_self``: a poll's end reaches its author too, as Mastodon's does.
    """
    if not recipient.local or recipient.gone:
        return None
    if recipient.id == sender.id and not allow_self:
        return None
    if obj is not None:
        author = await session.get(Actor, obj.author_id)
        if obj.deleted_at is not None or author is None:
            return None
        if not await may_read(session, obj, author, recipient):
            return None
    if await _blocked_or_muted(session, recipient, sender):
        return None
    existing = await _existing(session, recipient, kind, sender, obj)
    if existing is not None:
        if kind not in RENEWED:
            return None
        # Each edit is news: the earlier "edited" notification makes way for this one.
        await session.delete(existing)
        await session.flush()
    assert recipient.id is not None and sender.id is not None
    row = Notification(
        recipient_id=recipient.id,
        type=kind,
        from_actor_id=sender.id,
        object_id=None if obj is None else obj.id,
    )
    session.add(row)
    await session.flush()
    session.add(
        StreamEvent(
            event="notification",
            recipient_id=recipient.id,
            notification_id=row.id,
            actor_id=sender.id,
            object_id=row.object_id,
        )
    )
    await session.flush()
    return row


# -- what the handlers call ------------------------------------------------------------


def _addressed(obj: ContentObject) -> list[str]:
    """Actor ids a post mentions (its Mention tags) or is addressed to by name."""
    found = [
        tag.get("href")
        for tag in obj.tags
        if isinstance(tag, dict) and tag.get("type") == "Mention"
    ]
    found += [*obj.to, *obj.cc]
    return [a for a in dict.fromkeys(found) if isinstance(a, str)]


async def _local_actors(session: AsyncSession, ap_ids: Iterable[str]) -> list[Actor]:
    wanted = list(ap_ids)
    if not wanted:
        return []
    rows = await session.exec(
        select(Actor).where(
            col(Actor.ap_id).in_(wanted), col(Actor.local), col(Actor.gone).is_(False)
        )
    )
    return list(rows.all())


async def notify_mentions(
    session: AsyncSession, obj: ContentObject, is_local: Callable[[str], bool]
) -> list[Notification]:
    """A new post: a ``mention`` for each of our actors it mentions or addresses by name.

    ``is_local`` (``NodeConfig.is_local``) spares the lookup when the post names
    none of our ids, as most posts from elsewhere do.
    """
    ours = [ap_id for ap_id in _addressed(obj) if is_local(ap_id)]
    if not ours or obj.deleted_at is not None:
        return []
    author = await by_id.get(session, Actor, obj.author_id)
    if author is None:
        return []
    made = []
    for recipient in await _local_actors(session, ours):
        row = await notify(session, recipient, MENTION, author, obj)
        if row is not None:
            made.append(row)
    return made


async def notify_follow(session: AsyncSession, follow: Follow) -> Notification | None:
    """A follow of one of ours: ``follow`` once accepted, ``follow_request`` while pending."""
    if follow.state == FollowState.REJECTED:
        return None
    followee = await session.get(Actor, follow.followee_id)
    follower = await session.get(Actor, follow.follower_id)
    if followee is None or follower is None:
        return None
    kind = FOLLOW if follow.state == FollowState.ACCEPTED else FOLLOW_REQUEST
    return await notify(session, followee, kind, follower)


async def notify_interaction(
    session: AsyncSession, kind: str, sender: Actor, obj: ContentObject
) -> Notification | None:
    """A like (``favourite``) or boost (``reblog``) of a post: its author hears of it."""
    author = await session.get(Actor, obj.author_id)
    if author is None:
        return None
    return await notify(session, author, kind, sender, obj)


def edit_snapshot(obj: ContentObject) -> tuple[object, ...]:
    """What makes an edit news: the text, title, warning and media (not a poll's vote counts,
    which a remote server also sends as an Update)."""
    return (obj.content, obj.summary, obj.name, obj.sensitive, obj.attachments)


async def notify_edit(session: AsyncSession, obj: ContentObject) -> list[Notification]:
    """An edited post: an ``update`` for each of our actors who boosted it (as Mastodon does)."""
    author = await session.get(Actor, obj.author_id)
    if author is None:
        return []
    rows = await session.exec(
        select(Actor)
        .join(Announce, col(Announce.actor_id) == Actor.id)
        .where(Announce.object_id == obj.id, col(Actor.local))
    )
    made = []
    for booster in rows.all():
        row = await notify(session, booster, UPDATE, author, obj)
        if row is not None:
            made.append(row)
    return made


# -- the recipient's own actions --------------------------------------------------------


async def dismiss(session: AsyncSession, recipient: Actor, notification_id: int) -> bool:
    """Hide one notification of ``recipient``'s; False when they have no such notification.

    The row stays (dismissed), so the same event redelivered is not news again.
    """
    row = await session.get(Notification, notification_id)
    if row is None or row.recipient_id != recipient.id or row.dismissed:
        return False
    row.dismissed = True
    session.add(row)
    await session.flush()
    return True


async def clear(session: AsyncSession, recipient: Actor) -> None:
    """Dismiss every notification of ``recipient``'s."""
    await session.exec(
        update(Notification)
        .where(
            col(Notification.recipient_id) == recipient.id, col(Notification.dismissed).is_(False)
        )
        .values(dismissed=True)
        .execution_options(synchronize_session=False)
    )


async def recent(
    session: AsyncSession, recipient: Actor, *, max_id: int | None = None, limit: int = 30
) -> list[tuple[Notification, Actor, ContentObject | None]]:
    """The recipient's notifications newest first, with who caused them and the post (pages)."""
    query = select(Notification).where(
        Notification.recipient_id == recipient.id, col(Notification.dismissed).is_(False)
    )
    if max_id is not None:
        query = query.where(col(Notification.id) < max_id)
    rows = (await session.exec(query.order_by(col(Notification.id).desc()).limit(limit))).all()
    found = []
    for row in rows:
        sender = await session.get(Actor, row.from_actor_id)
        obj = None if row.object_id is None else await session.get(ContentObject, row.object_id)
        if sender is not None:
            found.append((row, sender, obj))
    return found


_HAS_SUBSCRIBERS = "content.notifications.has_subscribers"


async def remember_subscribers(session: AsyncSession, author_ids: Iterable[int]) -> None:
    """Which of many authors have a local follower who asked for their posts, in one
    query, so :func:`notify_subscribers` asks no more about the others.

    The inbox worker asks once per batch; the answers hold for this session.
    """
    wanted = sorted(set(author_ids))
    found: dict[int, bool] = dict.fromkeys(wanted, False)
    for start in range(0, len(wanted), 500):
        rows = await session.exec(
            select(Follow.followee_id)
            .join(Actor, col(Actor.id) == Follow.follower_id)
            .where(
                col(Follow.followee_id).in_(wanted[start : start + 500]),
                Follow.state == FollowState.ACCEPTED,
                col(Follow.notify),
                col(Actor.local),
            )
            .distinct()
        )
        found.update(dict.fromkeys(rows.all(), True))
    session.info[_HAS_SUBSCRIBERS] = found


def forget_subscribers(session: AsyncSession) -> None:
    session.info.pop(_HAS_SUBSCRIBERS, None)


async def notify_subscribers(session: AsyncSession, obj: ContentObject) -> int:
    """A new post: a ``status`` notification to each local follower who asked for one
    (Mastodon's ``notify`` on a follow). Replies to others are not news of this kind;
    :func:`notify` keeps out whoever may not read the post."""
    if obj.deleted_at is not None or obj.id is None:
        return 0
    author = await by_id.get(session, Actor, obj.author_id)
    if author is None:
        return 0
    if obj.in_reply_to:
        parent = (
            await session.exec(
                select(ContentObject.author_id).where(ContentObject.ap_id == obj.in_reply_to)
            )
        ).first()
        if parent != author.id:
            return 0
    remembered: dict[int, bool] | None = session.info.get(_HAS_SUBSCRIBERS)
    if remembered is not None and author.id is not None and remembered.get(author.id) is False:
        return 0
    rows = await session.exec(
        select(Actor)
        .join(Follow, col(Follow.follower_id) == Actor.id)
        .where(
            Follow.followee_id == author.id,
            Follow.state == FollowState.ACCEPTED,
            col(Follow.notify),
            col(Actor.local),
        )
    )
    sent = 0
    for follower in rows.all():
        sent += await notify(session, follower, STATUS, author, obj) is not None
    return sent
