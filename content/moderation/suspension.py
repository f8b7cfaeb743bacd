"""The grace period's end: a suspended local account's ``Delete`` goes out.

A suspension hides the account at once (:mod:`content.moderation.actions`);
only when ``delete_after`` has passed, and the suspension was not lifted, is
the account deleted for good: its posts become tombstones and a ``Delete``
of the actor goes to its followers' nodes, which hide it too (as they do for
any actor that deletes itself), and the communities it owned pass to the
next in line (:mod:`content.communities.succession`). The worker wakes every
``suspension_sweep_seconds`` (a setting, so that a test driving
:func:`sweep_once` itself can keep the node's own sweep out of its way).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlmodel import col, select

from actors.context import NodeContext
from content.communities.succession import hand_over
from content.moderation import audit
from content.objects import tombstone_all_by
from federation.constants import PUBLIC
from outbox.publish import publish
from storage.models import Actor, ActorModeration
from storage.types import utcnow

log = logging.getLogger(__name__)


async def sweep_once(node: NodeContext) -> int:
    """Send the Delete of every local account whose grace period is over; how many."""
    done = 0
    async with node.sessions() as session:
        rows = await session.exec(
            select(ActorModeration, Actor)
            .join(Actor, Actor.id == ActorModeration.actor_id)  # type: ignore[arg-type]
            .where(
                col(Actor.local),
                col(ActorModeration.suspended_at).is_not(None),
                col(ActorModeration.delete_after) <= utcnow(),
                col(ActorModeration.deleted_federated_at).is_(None),
            )
        )
        for state, actor in rows.all():
            body = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{actor.ap_id}#delete",
                "type": "Delete",
                "actor": actor.ap_id,
                "object": actor.ap_id,
                "to": [PUBLIC],
                "cc": [actor.followers_url] if actor.followers_url else [],
            }
            await publish(session, actor, body)
            await tombstone_all_by(session, actor)
            await hand_over(session, actor)  # its communities outlive it, as on erasure
            state.deleted_federated_at = utcnow()
            session.add(state)
            await audit.record(
                session, "delete_account", moderator=None, target=actor, reason="grace period over"
            )
            done += 1
        await session.commit()
    return done


async def run_forever(node: NodeContext, stop: asyncio.Event, every_seconds: float) -> None:
    while not stop.is_set():
        try:
            await sweep_once(node)
        except Exception:
            log.exception("the suspension sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
