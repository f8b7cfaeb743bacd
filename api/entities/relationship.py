"""The ``Relationship`` entity: how the viewer and other accounts stand, in both directions.

Computed for many accounts in a fixed handful of queries (apps ask for a whole
screen of ids at once). ``following`` means an *accepted* follow; a pending
one is ``requested`` (and, the other way, ``requested_by``). We store no
per-follow reblog switches, no endorsements, notes or domain blocks
yet, so those read as Mastodon's defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.mutes import muted_ids
from storage.models import Actor, Block, Follow, FollowState


async def relationship_entities(
    session: AsyncSession, viewer: Actor, targets: Sequence[Actor]
) -> list[dict[str, Any]]:
    ids = [t.id for t in targets if t.id is not None]
    follows = {
        row.followee_id: row
        for row in (
            await session.exec(
                select(Follow).where(
                    Follow.follower_id == viewer.id, col(Follow.followee_id).in_(ids)
                )
            )
        ).all()
    }
    outgoing = {tid: row.state for tid, row in follows.items()}
    incoming = {
        row.follower_id: row.state
        for row in (
            await session.exec(
                select(Follow).where(
                    Follow.followee_id == viewer.id, col(Follow.follower_id).in_(ids)
                )
            )
        ).all()
    }
    blocking = set(
        (
            await session.exec(
                select(Block.target_id).where(
                    Block.actor_id == viewer.id, col(Block.target_id).in_(ids)
                )
            )
        ).all()
    )
    blocked_by = set(
        (
            await session.exec(
                select(Block.actor_id).where(
                    Block.target_id == viewer.id, col(Block.actor_id).in_(ids)
                )
            )
        ).all()
    )
    mutes = await muted_ids(session, viewer, ids)
    entities = []
    for target in targets:
        tid = target.id
        assert tid is not None
        following = outgoing.get(tid) == FollowState.ACCEPTED
        mute = mutes.get(tid)
        entities.append(
            {
                "id": str(tid),
                "following": following,
                "showing_reblogs": following,
                "notifying": tid in follows and follows[tid].notify,
                "languages": None,
                "followed_by": incoming.get(tid) == FollowState.ACCEPTED,
                "blocking": tid in blocking,
                "blocked_by": tid in blocked_by,
                "muting": mute is not None,
                "muting_notifications": mute is not None and mute.notifications,
                "requested": outgoing.get(tid) == FollowState.PENDING,
                "requested_by": incoming.get(tid) == FollowState.PENDING,
                "domain_blocking": False,
                "endorsed": False,
                "note": "",
            }
        )
    return entities


async def relationship_entity(
    session: AsyncSession, viewer: Actor, target: Actor
) -> dict[str, Any]:
    return (await relationship_entities(session, viewer, [target]))[0]
