"""Who among our actors an activity reached: their ActivityPub inbox (paged by C2S GET).

An activity reaches a local actor when it names them (``to``, ``cc``, ``bto``,
``bcc``, ``audience`` of the activity or of its embedded object), when it was
POSTed to their personal inbox, when it is about them (a Follow or Block of
them, a Like or Announce or reply of their post, an Accept of their Follow, by id or embedded),
or, when it addresses Public or the sender's followers, when they follow the
sender. Never the sender itself, and never someone who blocks the sender.

Only our own ids can name one of ours (our actors, their posts, their
Follows), so the lookups by id ask only about ids on our origin: a public
post from elsewhere that names none of ours costs one query (its sender's
followers here), not four.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.constants import is_public
from federation.vocab import id_of, ids_of
from inbox.handlers.common import known_actor
from storage.flushes import flush, is_deferred
from storage.models import (
    Actor,
    Block,
    ContentObject,
    Follow,
    FollowState,
    InboxItem,
    MailboxEntry,
)

ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")


def _addressed(body: dict[str, Any]) -> list[str]:
    found: list[str] = []
    sources = [body] + ([body["object"]] if isinstance(body.get("object"), dict) else [])
    for source in sources:
        for name in ADDRESS_FIELDS:
            found.extend(ids_of(source.get(name)))
    return list(dict.fromkeys(found))


def _subjects(body: dict[str, Any]) -> list[str]:
    """Ids the activity is about: its object, the object's object, a reply's parent."""
    obj = body.get("object")
    found = [id_of(obj)]
    if isinstance(obj, dict):
        found += [id_of(obj.get("object")), id_of(obj.get("actor")), id_of(obj.get("inReplyTo"))]
    return [i for i in found if i]


async def _owners(
    session: AsyncSession,
    item: InboxItem,
    sender: Actor | None,
    is_local: Callable[[str], bool],
) -> set[int]:
    body = item.body
    addressed = _addressed(body)
    subjects = [s for s in _subjects(body) if is_local(s)]
    owners: set[int] = {item.recipient_id} if item.recipient_id is not None else set()
    wanted = [a for a in addressed if is_local(a)] + subjects
    if wanted:
        rows = await session.exec(
            select(Actor.id).where(col(Actor.ap_id).in_(wanted), col(Actor.local))
        )
        owners.update(i for i in rows.all() if i is not None)
    if subjects:
        rows = await session.exec(
            select(Actor.id)
            .join(ContentObject, col(ContentObject.author_id) == Actor.id)
            .where(col(ContentObject.ap_id).in_(subjects), col(Actor.local))
        )
        owners.update(i for i in rows.all() if i is not None)
        # An Accept or Reject naming our Follow only by its id reaches its follower.
        followers = await session.exec(
            select(Follow.follower_id)
            .join(Actor, col(Actor.id) == Follow.follower_id)
            .where(col(Follow.activity_ap_id).in_(subjects), col(Actor.local))
        )
        owners.update(followers.all())
    if sender is not None and sender.id is not None:
        to_followers = any(is_public(a) for a in addressed) or (
            sender.followers_url is not None and sender.followers_url in addressed
        )
        if to_followers:
            remembered = session.info.get(_LOCAL_FOLLOWERS, {}).get(sender.id)
            if remembered is not None:
                owners.update(remembered)
            else:
                owners.update((await _local_followers(session, [sender.id])).get(sender.id, ()))
        owners.discard(sender.id)
        blockers = session.info.get(_LOCAL_BLOCKERS, {}).get(sender.id)
        if owners and blockers is not None:
            owners.difference_update(blockers)
        elif owners:
            blocking = await session.exec(
                select(Block.actor_id).where(
                    Block.target_id == sender.id, col(Block.actor_id).in_(owners)
                )
            )
            owners.difference_update(blocking.all())
    return owners


_LOCAL_FOLLOWERS = "inbox.local_followers"
_LOCAL_BLOCKERS = "inbox.local_blockers"


async def _local_followers(session: AsyncSession, senders: list[int]) -> dict[int, set[int]]:
    rows = await session.exec(
        select(Follow.followee_id, Follow.follower_id)
        .join(Actor, col(Actor.id) == Follow.follower_id)
        .where(
            col(Follow.followee_id).in_(senders),
            Follow.state == FollowState.ACCEPTED,
            col(Actor.local),
        )
    )
    found: dict[int, set[int]] = {}
    for followee, follower in rows.all():
        found.setdefault(followee, set()).add(follower)
    return found


async def remember_local_followers(session: AsyncSession, senders: Iterable[int]) -> None:
    """Our followers of many senders in one query, for a batch of activities from them.

    Valid while no Follow changes in the session: the inbox worker calls
    :func:`forget_local_followers` after any activity that is not a Create,
    Update, Delete, Like or Announce.
    """
    wanted = sorted(set(senders))
    remembered: dict[int, set[int]] = {sender: set() for sender in wanted}
    blockers: dict[int, set[int]] = {sender: set() for sender in wanted}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        remembered.update(await _local_followers(session, part))
        rows = await session.exec(
            select(Block.target_id, Block.actor_id)
            .join(Actor, col(Actor.id) == Block.actor_id)
            .where(col(Block.target_id).in_(part), col(Actor.local))
        )
        for target, actor in rows.all():
            blockers[target].add(actor)
    session.info[_LOCAL_FOLLOWERS] = remembered
    session.info[_LOCAL_BLOCKERS] = blockers


def forget_local_followers(session: AsyncSession) -> None:
    session.info.pop(_LOCAL_FOLLOWERS, None)
    session.info.pop(_LOCAL_BLOCKERS, None)


async def record_mailbox(
    session: AsyncSession, item: InboxItem, is_local: Callable[[str], bool]
) -> set[int]:
    """Add ``item`` to the inbox of every local actor it reached; returns their ids.

    ``is_local`` tells our ids from others (``NodeConfig.is_local``).
    """
    assert item.id is not None
    sender = await known_actor(session, item.actor_ap_id)
    owners = await _owners(session, item, sender, is_local)
    if not owners:
        return owners
    present: set[int] = set()
    if not is_deferred(session):
        # In a deferred inbox batch (:mod:`storage.flushes`) an item never
        # handled before has no rows yet; one that had would fail the batch's
        # flush (unique per owner and item), and be handled again alone, here.
        rows = await session.exec(
            select(MailboxEntry.owner_id).where(MailboxEntry.inbox_item_id == item.id)
        )
        present.update(rows.all())
    for owner in sorted(owners - present):
        session.add(MailboxEntry(owner_id=owner, inbox_item_id=item.id))
    await flush(session)
    return owners
