"""The follow and block graph: one set of functions for local actions and received activities.

A Follow row moves ``pending`` → ``accepted`` | ``rejected`` (see
:mod:`storage.models.graph`); an Undo deletes it. Each local action here
changes the rows *and* publishes the activity that tells the other side, in
the caller's transaction (:func:`outbox.publish.publish`), whether the other
side is remote or local: a local target receives the activity through our own
inbox, so "Follow → auto-accept → Accept" runs through the same handlers for a
colleague on this node as for one on Mastodon.

The ``receive_*`` functions are the other half, called by the inbox handlers
once the activity's sender has been checked.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, delete, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.peers import learn
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ActorType, Block, Follow, FollowState
from storage.types import utcnow


class GraphError(ValueError):
    """A graph action that makes no sense (following yourself); the message is safe to show."""


def _activity_id(node: NodeContext, actor: Actor) -> str:
    return node.config.activity_url(actor.username, new_id())


def _body(
    node: NodeContext, actor: Actor, kind: str, obj: Any, to: str, *, activity_id: str = ""
) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": activity_id or _activity_id(node, actor),
        "type": kind,
        "actor": actor.ap_id,
        "object": obj,
        "to": [to],
    }


def _follow_doc(follow: Follow, follower: Actor, followee: Actor) -> dict[str, Any]:
    """The Follow as Accept/Reject/Undo embed it (Mastodon and Fedify match on all of it)."""
    return {
        "id": follow.activity_ap_id,
        "type": "Follow",
        "actor": follower.ap_id,
        "object": followee.ap_id,
    }


async def find_follow(
    session: AsyncSession, follower_id: int | None, followee_id: int | None
) -> Follow | None:
    return (
        await session.exec(
            select(Follow).where(
                Follow.follower_id == follower_id, Follow.followee_id == followee_id
            )
        )
    ).first()


async def follow_by_activity(session: AsyncSession, activity_ap_id: str) -> Follow | None:
    return (
        await session.exec(select(Follow).where(Follow.activity_ap_id == activity_ap_id))
    ).first()


async def blocks(session: AsyncSession, actor_id: int | None, target_id: int | None) -> bool:
    """Does ``actor_id`` block ``target_id``?"""
    row = (
        await session.exec(
            select(Block.id).where(Block.actor_id == actor_id, Block.target_id == target_id)
        )
    ).first()
    return row is not None


async def _parties(session: AsyncSession, follow: Follow) -> tuple[Actor, Actor]:
    follower = await session.get(Actor, follow.follower_id)
    followee = await session.get(Actor, follow.followee_id)
    assert follower is not None and followee is not None
    return follower, followee


# -- local actions -----------------------------------------------------------------


async def follow(
    session: AsyncSession, node: NodeContext, follower: Actor, target: Actor
) -> Follow:
    """``follower`` (local) asks to follow ``target``; publishes a Follow.

    Following again while pending or accepted changes nothing; after a
    rejection it asks anew.
    """
    if follower.id == target.id:
        raise GraphError("an actor cannot follow itself")
    if target.gone:
        raise GraphError("that account no longer exists")
    existing = await find_follow(session, follower.id, target.id)
    if existing is not None and existing.state != FollowState.REJECTED:
        return existing
    if target.type == ActorType.GROUP and not target.local:
        # Whether our member's posts to it may go there, if it is members-only.
        await learn(session, node, [target.ap_id])
    activity_id = _activity_id(node, follower)
    if existing is None:
        assert follower.id is not None and target.id is not None
        existing = Follow(follower_id=follower.id, followee_id=target.id, activity_ap_id="")
    existing.activity_ap_id = activity_id
    existing.state = FollowState.PENDING
    existing.updated_at = utcnow()
    session.add(existing)
    await session.flush()
    body = _body(node, follower, "Follow", target.ap_id, target.ap_id, activity_id=activity_id)
    await publish(session, follower, body)
    return existing


async def unfollow(
    session: AsyncSession, node: NodeContext, follower: Actor, target: Actor
) -> bool:
    """Stop following (or withdraw the request); publishes Undo(Follow). False if there was none."""
    existing = await find_follow(session, follower.id, target.id)
    if existing is None:
        return False
    doc = _follow_doc(existing, follower, target)
    await session.delete(existing)
    await session.flush()
    await publish(session, follower, _body(node, follower, "Undo", doc, target.ap_id))
    return True


async def approve(session: AsyncSession, node: NodeContext, follow: Follow) -> Follow:
    """The followee (local) accepts; publishes Accept embedding the Follow."""
    follower, followee = await _parties(session, follow)
    follow.state = FollowState.ACCEPTED
    follow.updated_at = utcnow()
    session.add(follow)
    await session.flush()
    doc = _follow_doc(follow, follower, followee)
    await publish(session, followee, _body(node, followee, "Accept", doc, follower.ap_id))
    return follow


async def reject(session: AsyncSession, node: NodeContext, follow: Follow) -> Follow:
    """The followee (local) refuses or drops a follower; publishes Reject embedding the Follow."""
    follower, followee = await _parties(session, follow)
    follow.state = FollowState.REJECTED
    follow.updated_at = utcnow()
    session.add(follow)
    await session.flush()
    doc = _follow_doc(follow, follower, followee)
    await publish(session, followee, _body(node, followee, "Reject", doc, follower.ap_id))
    return follow


async def block(session: AsyncSession, node: NodeContext, actor: Actor, target: Actor) -> Block:
    """``actor`` (local) blocks ``target``: follows both ways end; publishes Block.

    Our follow of them is undone with an Undo(Follow); their follow of us is
    simply dropped, since the Block tells their server to drop it too
    (that is what Mastodon does on receiving one).
    """
    if actor.id == target.id:
        raise GraphError("an actor cannot block itself")
    existing = (
        await session.exec(
            select(Block).where(Block.actor_id == actor.id, Block.target_id == target.id)
        )
    ).first()
    if existing is not None:
        return existing
    await unfollow(session, node, actor, target)
    await session.exec(
        delete(Follow).where(
            col(Follow.follower_id) == target.id, col(Follow.followee_id) == actor.id
        )
    )
    assert actor.id is not None and target.id is not None
    body = _body(node, actor, "Block", target.ap_id, target.ap_id)
    row = Block(actor_id=actor.id, target_id=target.id, activity_ap_id=body["id"])
    session.add(row)
    await session.flush()
    await publish(session, actor, body)
    return row


async def unblock(session: AsyncSession, node: NodeContext, actor: Actor, target: Actor) -> bool:
    """Lift a block; publishes Undo(Block). False if there was none."""
    existing = (
        await session.exec(
            select(Block).where(Block.actor_id == actor.id, Block.target_id == target.id)
        )
    ).first()
    if existing is None:
        return False
    doc = {
        "id": existing.activity_ap_id or f"{actor.ap_id}#blocks/{existing.id}",
        "type": "Block",
        "actor": actor.ap_id,
        "object": target.ap_id,
    }
    await session.delete(existing)
    await session.flush()
    await publish(session, actor, _body(node, actor, "Undo", doc, target.ap_id))
    return True


# -- received activities ---------------------------------------------------------------


async def receive_follow(
    session: AsyncSession, node: NodeContext, follower: Actor, target: Actor, activity_ap_id: str
) -> Follow:
    """A Follow of our ``target``: accepted at once, or left pending when the target
    approves followers by hand, or rejected when the target blocks the follower.

    A second Follow for a pair we already accepted is answered with a fresh
    Accept (the other server evidently lost its state); the same Follow twice
    changes nothing.
    """
    existing = await find_follow(session, follower.id, target.id)
    repeated = existing is not None and existing.activity_ap_id == activity_ap_id
    if existing is None:
        assert follower.id is not None and target.id is not None
        existing = Follow(
            follower_id=follower.id, followee_id=target.id, activity_ap_id=activity_ap_id
        )
        session.add(existing)
        await session.flush()
    elif repeated and existing.state != FollowState.PENDING:
        return existing
    elif not repeated:
        existing.activity_ap_id = activity_ap_id
        if existing.state == FollowState.REJECTED:
            existing.state = FollowState.PENDING
        session.add(existing)
        await session.flush()
    if await blocks(session, target.id, follower.id):
        return await reject(session, node, existing)
    if existing.state == FollowState.ACCEPTED or not target.manually_approves_followers:
        return await approve(session, node, existing)
    return existing


async def receive_answer(session: AsyncSession, follow: Follow, *, accepted: bool) -> bool:
    """An Accept or Reject of our Follow; False when it changes nothing."""
    state = FollowState.ACCEPTED if accepted else FollowState.REJECTED
    if follow.state == state:
        return False
    follow.state = state
    follow.updated_at = utcnow()
    session.add(follow)
    await session.flush()
    return True


async def remove_follows_between(session: AsyncSession, a: Actor, b: Actor) -> None:
    """Drop follows (and requests) in both directions, without telling anyone."""
    await session.exec(
        delete(Follow).where(
            or_(
                (col(Follow.follower_id) == a.id) & (col(Follow.followee_id) == b.id),
                (col(Follow.follower_id) == b.id) & (col(Follow.followee_id) == a.id),
            )
        )
    )


async def receive_block(
    session: AsyncSession, actor: Actor, target: Actor, activity_ap_id: str
) -> bool:
    """``actor`` blocks our ``target``: stored, and the follows between them removed."""
    existing = (
        await session.exec(
            select(Block).where(Block.actor_id == actor.id, Block.target_id == target.id)
        )
    ).first()
    await remove_follows_between(session, actor, target)
    if existing is not None:
        return False
    assert actor.id is not None and target.id is not None
    session.add(Block(actor_id=actor.id, target_id=target.id, activity_ap_id=activity_ap_id))
    await session.flush()
    return True


async def remove_actor_edges(session: AsyncSession, actor: Actor) -> None:
    """Every follow and block of an actor that deleted itself."""
    await session.exec(
        delete(Follow).where(
            or_(col(Follow.follower_id) == actor.id, col(Follow.followee_id) == actor.id)
        )
    )
    await session.exec(
        delete(Block).where(or_(col(Block.actor_id) == actor.id, col(Block.target_id) == actor.id))
    )


async def pending_requests(session: AsyncSession, followee: Actor) -> list[tuple[Follow, Actor]]:
    """Follow requests waiting for ``followee``'s answer, oldest first, with the asker."""
    rows = await session.exec(
        select(Follow, Actor)
        .join(Actor, col(Actor.id) == Follow.follower_id)
        .where(Follow.followee_id == followee.id, Follow.state == FollowState.PENDING)
        .order_by(col(Follow.id))
    )
    return [(follow, actor) for follow, actor in rows.all()]


async def set_notify(session: AsyncSession, follower: Actor, followee: Actor, notify: bool) -> bool:
    """Mastodon's ``notify``: a ``status`` notification for each new post of ``followee``.
    Kept on the follow (pending or accepted); False when there is no follow."""
    row = await find_follow(session, follower.id, followee.id)
    if row is None:
        return False
    row.notify = notify
    session.add(row)
    await session.flush()
    return True
