"""Undo of a Follow, Like, Announce or Block: only ever of the sender's own activity.

The undone activity is found by its id first (every server we know reuses the
original id in the embedded object), then by what it was about (the sender
and its object), since some servers mint a fresh id when they embed. A row
that belongs to someone else is a refusal, not a no-op: it means the sender
tried to undo another actor's activity. Undo of anything else (an Accept, a
Lemmy Delete meaning "restore") is ignored: tombstones are final.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import find_follow, follow_by_activity
from actors.remote import actor_by_ap_id
from content.interactions import (
    announce_by_activity,
    find_announce,
    find_like,
    like_by_activity,
    remove_announce,
    remove_like,
)
from content.objects import object_by_ap_id
from federation.vocab import id_of
from inbox.handlers.common import Refused, embedded, object_id, sender
from storage.models import Actor, Announce, Block, InboxItem, Like


def _undone(item: InboxItem, undoer: Actor) -> tuple[str | None, str | None]:
    """(id, object id) of the embedded activity, which must be the sender's own."""
    doc = embedded(item) or {}
    inner_actor = id_of(doc.get("actor"))
    if inner_actor is not None and inner_actor != undoer.ap_id:
        raise Refused("only the actor of an activity may undo it")
    return id_of(doc) or object_id(item), id_of(doc.get("object"))


def _own(row_actor_id: int, undoer: Actor) -> None:
    if row_actor_id != undoer.id:
        raise Refused("only the actor of an activity may undo it")


async def follow(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    undoer = await sender(session, node, item)
    activity_id, target_id = _undone(item, undoer)
    row = await follow_by_activity(session, activity_id) if activity_id else None
    if row is None and target_id:
        target = await actor_by_ap_id(session, target_id)
        row = await find_follow(session, undoer.id, target.id) if target else None
    if row is not None:
        _own(row.follower_id, undoer)
        await session.delete(row)
        await session.flush()


async def like(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    undoer = await sender(session, node, item)
    activity_id, target_id = _undone(item, undoer)
    row = await like_by_activity(session, activity_id) if activity_id else None
    if row is None and target_id:
        obj = await object_by_ap_id(session, target_id)
        row = await find_like(session, undoer, obj) if obj else None
    if row is not None:
        _own(row.actor_id, undoer)
        await remove_like(session, row)


async def announce(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    undoer = await sender(session, node, item)
    activity_id, target_id = _undone(item, undoer)
    row = await announce_by_activity(session, activity_id) if activity_id else None
    if row is None and target_id:
        obj = await object_by_ap_id(session, target_id)
        row = await find_announce(session, undoer, obj) if obj else None
    if row is not None:
        _own(row.actor_id, undoer)
        await remove_announce(session, row)


async def _block_row(
    session: AsyncSession, undoer: Actor, activity_id: str | None, target_id: str | None
) -> Block | None:
    if activity_id:
        row = (await session.exec(select(Block).where(Block.activity_ap_id == activity_id))).first()
        if row is not None:
            return row
    target = await actor_by_ap_id(session, target_id) if target_id else None
    if target is None:
        return None
    return (
        await session.exec(
            select(Block).where(Block.actor_id == undoer.id, Block.target_id == target.id)
        )
    ).first()


async def block(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    undoer = await sender(session, node, item)
    activity_id, target_id = _undone(item, undoer)
    row = await _block_row(session, undoer, activity_id, target_id)
    if row is not None:
        _own(row.actor_id, undoer)
        await session.delete(row)
        await session.flush()


async def by_reference(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    """An Undo that names the undone activity only by id: look in every table."""
    activity_id = object_id(item)
    if activity_id is None:
        return
    undoer = await sender(session, node, item)
    rows: list[tuple[Any, int]] = []
    if (f := await follow_by_activity(session, activity_id)) is not None:
        rows.append((f, f.follower_id))
    if (lk := await like_by_activity(session, activity_id)) is not None:
        rows.append((lk, lk.actor_id))
    if (an := await announce_by_activity(session, activity_id)) is not None:
        rows.append((an, an.actor_id))
    if (bl := await _block_row(session, undoer, activity_id, None)) is not None:
        rows.append((bl, bl.actor_id))
    for _row, owner in rows:
        _own(owner, undoer)
    for row, _owner in rows:
        if isinstance(row, Like):
            await remove_like(session, row)
        elif isinstance(row, Announce):
            await remove_announce(session, row)
        else:
            await session.delete(row)
            await session.flush()
