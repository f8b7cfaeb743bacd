"""Pinned posts: an actor's ``featured`` collection, and the Add/Remove that announce it.

Pinning writes the :class:`storage.models.Featured` row itself and publishes
``Add`` (unpinning: ``Remove``) with the actor's featured collection as
``target``, addressed like Mastodon's to the actor's followers, so their
servers update the profile's pinned posts. Our own inbox does not replay the
activity for local followers (the publisher changes every row itself; see
:mod:`inbox.dispatch`).

Only one's own public, unlisted or followers-only posts may be pinned (a
direct message on a profile would show it to whoever may read the profile's
featured list), and at most ``maximum`` of them, as Mastodon limits it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ContentObject, Featured, Visibility


class PinError(ValueError):
    """A pin the node refuses; the message is safe to show."""


def _featured_url(actor: Actor) -> str:
    return actor.featured_url or f"{actor.ap_id}/collections/featured"


def _activity(node: NodeContext, actor: Actor, kind: str, obj: ContentObject) -> dict[str, Any]:
    return {
        "@context": canonical_context(),
        "id": node.config.activity_url(actor.username, new_id()),
        "type": kind,
        "actor": actor.ap_id,
        "to": [actor.followers_url or f"{actor.ap_id}/followers"],
        "object": obj.ap_id,
        "target": _featured_url(actor),
    }


async def is_pinned(session: AsyncSession, actor: Actor, obj: ContentObject) -> bool:
    row = await session.exec(
        select(Featured.id).where(Featured.actor_id == actor.id, Featured.object_ap_id == obj.ap_id)
    )
    return row.first() is not None


async def pin(
    session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject, *, maximum: int
) -> None:
    """Pin ``actor``'s own post ``obj``; pinning a pinned post changes nothing."""
    if obj.author_id != actor.id or obj.deleted_at is not None:
        raise PinError("you can only pin your own posts")
    if obj.visibility == Visibility.DIRECT:
        raise PinError("direct messages cannot be pinned")
    if await is_pinned(session, actor, obj):
        return
    count = (
        await session.exec(
            select(func.count()).select_from(Featured).where(Featured.actor_id == actor.id)
        )
    ).one()
    if count >= maximum:
        raise PinError(f"you can pin at most {maximum} posts")
    assert actor.id is not None
    session.add(Featured(id=new_id(), actor_id=actor.id, object_ap_id=obj.ap_id))
    await session.flush()
    await publish(session, actor, _activity(node, actor, "Add", obj))


async def unpin(session: AsyncSession, node: NodeContext, actor: Actor, obj: ContentObject) -> None:
    """Unpin ``obj`` from ``actor``'s profile; unpinning what is not pinned changes nothing."""
    if not await is_pinned(session, actor, obj):
        return
    await session.exec(
        delete(Featured).where(
            col(Featured.actor_id) == actor.id, col(Featured.object_ap_id) == obj.ap_id
        )
    )
    await session.flush()
    await publish(session, actor, _activity(node, actor, "Remove", obj))
