"""Likes and boosts (Announce): local actions that publish, and the rows received ones leave.

The Like and Announce rows are the truth; ``likes_count`` and
``announces_count`` on the object are recounted from them after every change
(:func:`content.objects.recount_interactions`), so a redelivered activity, a
second Like with a new id, or an Undo racing its Like cannot skew them.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.objects import recount_interactions
from content.visibility import OPEN_VISIBILITIES, may_read
from federation.constants import PUBLIC
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, Announce, ContentObject, Like, Visibility


class InteractionError(ValueError):
    """A like or boost the domain refuses; the message is safe to show the actor."""


async def _author(session: AsyncSession, obj: ContentObject) -> Actor:
    author = await session.get(Actor, obj.author_id)
    assert author is not None
    return author


def _body(
    node: NodeContext, actor: Actor, kind: str, obj: Any, **addressing: Any
) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(actor.username, new_id()),
        "type": kind,
        "actor": actor.ap_id,
        "object": obj,
        **addressing,
    }


async def find_like(session: AsyncSession, actor: Actor, obj: ContentObject) -> Like | None:
    return (
        await session.exec(select(Like).where(Like.actor_id == actor.id, Like.object_id == obj.id))
    ).first()


async def find_announce(session: AsyncSession, actor: Actor, obj: ContentObject) -> Announce | None:
    return (
        await session.exec(
            select(Announce).where(Announce.actor_id == actor.id, Announce.object_id == obj.id)
        )
    ).first()


async def marked_by(
    session: AsyncSession, actor: Actor, object_ids: set[int]
) -> tuple[set[int], set[int]]:
    """Which of these posts ``actor`` has liked, and which boosted: two queries for
    a whole page (a page's buttons), not two a post."""
    if not object_ids:
        return set(), set()
    likes = await session.exec(
        select(Like.object_id).where(Like.actor_id == actor.id, col(Like.object_id).in_(object_ids))
    )
    boosts = await session.exec(
        select(Announce.object_id).where(
            Announce.actor_id == actor.id, col(Announce.object_id).in_(object_ids)
        )
    )
    return set(likes.all()), set(boosts.all())


async def _check_live_and_readable(
    session: AsyncSession, actor: Actor, obj: ContentObject, author: Actor
) -> None:
    if obj.deleted_at is not None:
        raise InteractionError("the post has been deleted")
    if not await may_read(session, obj, author, actor, guardian=False):
        raise InteractionError("the post is unknown")


# -- local actions -----------------------------------------------------------------


async def _record_and_publish(
    session: AsyncSession,
    actor: Actor,
    obj: ContentObject,
    row: Like | Announce,
    body: dict[str, Any],
) -> None:
    """Store the interaction, refresh the post's counts and queue the activity, together."""
    assert obj.id is not None
    session.add(row)
    await session.flush()
    await recount_interactions(session, obj.id)
    await publish(session, actor, body)


async def like(session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject) -> Like:
    """``actor`` (local) likes ``obj``; publishes Like to its author. Liking twice is one like."""
    author = await _author(session, obj)
    await _check_live_and_readable(session, actor, obj, author)
    existing = await find_like(session, actor, obj)
    if existing is not None:
        return existing
    body = _body(node, actor, "Like", obj.ap_id, to=[author.ap_id])
    assert actor.id is not None and obj.id is not None
    row = Like(actor_id=actor.id, object_id=obj.id, activity_ap_id=body["id"])
    await _record_and_publish(session, actor, obj, row, body)
    return row


async def unlike(
    session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject
) -> bool:
    """Withdraw a like; publishes Undo(Like). False if there was none."""
    existing = await find_like(session, actor, obj)
    if existing is None:
        return False
    author = await _author(session, obj)
    original = {
        "id": existing.activity_ap_id,
        "type": "Like",
        "actor": actor.ap_id,
        "object": obj.ap_id,
    }
    await remove_like(session, existing)
    await publish(session, actor, _body(node, actor, "Undo", original, to=[author.ap_id]))
    return True


def _announce_addressing(actor: Actor, obj: ContentObject, author: Actor) -> dict[str, Any]:
    """A boost is as open as its post: public stays public, unlisted stays unlisted."""
    followers = actor.followers_url or f"{actor.ap_id}/followers"
    if obj.visibility == Visibility.PUBLIC:
        return {"to": [PUBLIC], "cc": [author.ap_id, followers]}
    return {"to": [followers], "cc": [PUBLIC, author.ap_id]}


async def announce(
    session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject
) -> Announce:
    """``actor`` (local) boosts ``obj`` to its followers; only public and unlisted posts."""
    author = await _author(session, obj)
    if obj.deleted_at is not None:
        raise InteractionError("the post has been deleted")
    if obj.visibility not in OPEN_VISIBILITIES:
        raise InteractionError("only public and unlisted posts can be boosted")
    existing = await find_announce(session, actor, obj)
    if existing is not None:
        return existing
    body = _body(node, actor, "Announce", obj.ap_id, **_announce_addressing(actor, obj, author))
    assert actor.id is not None and obj.id is not None
    row = Announce(actor_id=actor.id, object_id=obj.id, activity_ap_id=body["id"])
    await _record_and_publish(session, actor, obj, row, body)
    return row


async def unannounce(
    session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject
) -> bool:
    """Withdraw a boost; publishes Undo(Announce) to the same audience. False if there was none."""
    existing = await find_announce(session, actor, obj)
    if existing is None:
        return False
    author = await _author(session, obj)
    addressing = _announce_addressing(actor, obj, author)
    original = {
        "id": existing.activity_ap_id,
        "type": "Announce",
        "actor": actor.ap_id,
        "object": obj.ap_id,
        **addressing,
    }
    await remove_announce(session, existing)
    await publish(session, actor, _body(node, actor, "Undo", original, **addressing))
    return True


# -- received activities ---------------------------------------------------------------


async def receive_like(
    session: AsyncSession, actor: Actor, obj: ContentObject, activity_ap_id: str
) -> bool:
    """Record a Like (of any object we store); False if this actor already likes it."""
    if await find_like(session, actor, obj) is not None:
        return False
    assert actor.id is not None and obj.id is not None
    session.add(Like(actor_id=actor.id, object_id=obj.id, activity_ap_id=activity_ap_id))
    await session.flush()
    await recount_interactions(session, obj.id)
    return True


async def receive_announce(
    session: AsyncSession, actor: Actor, obj: ContentObject, activity_ap_id: str
) -> bool:
    """Record a boost; False if this actor already boosted the object."""
    if await find_announce(session, actor, obj) is not None:
        return False
    assert actor.id is not None and obj.id is not None
    session.add(Announce(actor_id=actor.id, object_id=obj.id, activity_ap_id=activity_ap_id))
    await session.flush()
    await recount_interactions(session, obj.id)
    return True


async def like_by_activity(session: AsyncSession, activity_ap_id: str) -> Like | None:
    return (await session.exec(select(Like).where(Like.activity_ap_id == activity_ap_id))).first()


async def announce_by_activity(session: AsyncSession, activity_ap_id: str) -> Announce | None:
    return (
        await session.exec(select(Announce).where(Announce.activity_ap_id == activity_ap_id))
    ).first()


async def remove_like(session: AsyncSession, row: Like) -> None:
    await session.delete(row)
    await session.flush()
    await recount_interactions(session, row.object_id)


async def remove_announce(session: AsyncSession, row: Announce) -> None:
    await session.delete(row)
    await session.flush()
    await recount_interactions(session, row.object_id)


async def remove_all_by(session: AsyncSession, actor: Actor) -> None:
    """Every like and boost of an actor that deleted itself, with the counts they made."""
    likes = list((await session.exec(select(Like).where(Like.actor_id == actor.id))).all())
    announces = list(
        (await session.exec(select(Announce).where(Announce.actor_id == actor.id))).all()
    )
    for row in likes:
        await remove_like(session, row)
    for boost in announces:
        await remove_announce(session, boost)
