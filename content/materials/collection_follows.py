"""Following a collection, from either side: the follows are their own rows and activities.

A shelf's contents and its followers change for different reasons and at
different ends: the curator adds and removes items, while followers come
and go on their own nodes. Keeping the follows here leaves
:mod:`.collections` to the shelf itself; it asks :func:`followers_of` whom
an ``Add`` or ``Remove`` should also reach.

Following a collection is a ``Follow`` whose ``object`` is the collection;
the curator's node answers ``Accept`` at once (a collection is a public
shelf).
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, MaterialCollection, MaterialCollectionFollow

ACCEPTED = "accepted"
PENDING = "pending"


async def followers_of(session: AsyncSession, collection_id: int) -> list[str]:
    rows = await session.exec(
        select(Actor.ap_id)
        .join(MaterialCollectionFollow, col(MaterialCollectionFollow.follower_id) == Actor.id)
        .where(
            MaterialCollectionFollow.collection_id == collection_id,
            MaterialCollectionFollow.state == ACCEPTED,
        )
    )
    return list(rows.all())


async def follow_of(
    session: AsyncSession, collection_id: int, follower_id: int | None
) -> MaterialCollectionFollow | None:
    return (
        await session.exec(
            select(MaterialCollectionFollow).where(
                MaterialCollectionFollow.collection_id == collection_id,
                MaterialCollectionFollow.follower_id == follower_id,
            )
        )
    ).first()


async def follow(
    session: AsyncSession, node: NodeContext, follower: Actor, row: MaterialCollection
) -> MaterialCollectionFollow:
    """``follower`` (ours) follows a collection; a remote one is asked with ``Follow``."""
    assert row.id is not None and follower.id is not None
    existing = await follow_of(session, row.id, follower.id)
    if existing is not None:
        return existing
    activity_id = node.config.activity_url(follower.username, new_id())
    state = ACCEPTED if row.local else PENDING
    followed = MaterialCollectionFollow(
        id=new_id(),
        collection_id=row.id,
        follower_id=follower.id,
        activity_ap_id=activity_id,
        state=state,
    )
    session.add(followed)
    await session.flush()
    if not row.local:
        owner = await session.get(Actor, row.owner_id)
        assert owner is not None
        body = {
            "@context": canonical_context(),
            "id": activity_id,
            "type": "Follow",
            "actor": follower.ap_id,
            "object": row.ap_id,
            "to": [owner.ap_id],
        }
        await publish(session, follower, body)
    return followed


async def unfollow(
    session: AsyncSession, node: NodeContext, follower: Actor, row: MaterialCollection
) -> bool:
    assert row.id is not None
    existing = await follow_of(session, row.id, follower.id)
    if existing is None:
        return False
    await session.delete(existing)
    await session.flush()
    if not row.local:
        owner = await session.get(Actor, row.owner_id)
        assert owner is not None
        body = {
            "@context": canonical_context(),
            "id": node.config.activity_url(follower.username, new_id()),
            "type": "Undo",
            "actor": follower.ap_id,
            "object": {
                "id": existing.activity_ap_id,
                "type": "Follow",
                "actor": follower.ap_id,
                "object": row.ap_id,
            },
            "to": [owner.ap_id],
        }
        await publish(session, follower, body)
    return True


async def receive_follow(
    session: AsyncSession,
    node: NodeContext,
    follower: Actor,
    row: MaterialCollection,
    activity_id: str,
) -> None:
    """A remote actor follows our collection: accepted at once, answered with ``Accept``."""
    assert row.id is not None and follower.id is not None
    existing = await follow_of(session, row.id, follower.id)
    if existing is None:
        existing = MaterialCollectionFollow(
            id=new_id(), collection_id=row.id, follower_id=follower.id, activity_ap_id=activity_id
        )
    existing.activity_ap_id, existing.state = activity_id, ACCEPTED
    session.add(existing)
    await session.flush()
    owner = await session.get(Actor, row.owner_id)
    assert owner is not None
    body = {
        "@context": canonical_context(),
        "id": node.config.activity_url(owner.username, new_id()),
        "type": "Accept",
        "actor": owner.ap_id,
        "object": {
            "id": activity_id,
            "type": "Follow",
            "actor": follower.ap_id,
            "object": row.ap_id,
        },
        "to": [follower.ap_id],
    }
    await publish(session, owner, body)


async def follow_by_activity(
    session: AsyncSession, activity_id: str
) -> MaterialCollectionFollow | None:
    return (
        await session.exec(
            select(MaterialCollectionFollow).where(
                MaterialCollectionFollow.activity_ap_id == activity_id
            )
        )
    ).first()


async def remove_follow(session: AsyncSession, row: MaterialCollectionFollow) -> None:
    await session.delete(row)
    await session.flush()
