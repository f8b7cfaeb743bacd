"""What every handler needs: the refusal signal, the sender, and tolerant reads of the body."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.remote import actor_by_ap_id
from federation.errors import FederationError
from federation.vocab import id_of, type_of
from storage.models import Actor, InboxItem

#: The key id our own publisher stores local deliveries under (outbox.publish.LOCAL_KEY_ID;
#: the inbox may not import the outbox, so the value is repeated here).
LOCAL_KEY_ID = "local"

_KNOWN_ACTORS = "inbox.known_actors"


class Refused(Exception):
    """The activity is authentic but its actor may not do this (an Update of
    someone else's post, an Undo of someone else's Like). The worker marks the
    item rejected with this reason and never retries it; nothing it did stays.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def known_actor(session: AsyncSession, ap_id: str) -> Actor | None:
    """The actor row with this id, looked up once per session.

    Handling one activity needs its sender more than once (the handler, then
    the mailbox); a second SELECT would hand back the same identity-mapped
    object after a round trip. The session's identity map holds rows only
    weakly, so the session keeps the ones found here in ``session.info``.
    """
    found: dict[str, Actor] = session.info.setdefault(_KNOWN_ACTORS, {})
    actor = found.get(ap_id)
    if actor is not None:
        state = inspect(actor)
        # After a rollback (or a savepoint's) its attributes are expired, and
        # reading one would be lazy IO: ask the database again.
        if state.expired_attributes or not state.persistent:
            actor = None
    if actor is None:
        actor = await actor_by_ap_id(session, ap_id)
        if actor is not None:
            found[ap_id] = actor
    return actor


async def remember_actors(session: AsyncSession, ap_ids: Iterable[str]) -> None:
    """Look up many senders in one query, for :func:`known_actor` (the inbox worker's batches)."""
    wanted = sorted(set(ap_ids))
    found: dict[str, Actor] = session.info.setdefault(_KNOWN_ACTORS, {})
    for start in range(0, len(wanted), 500):
        rows = await session.exec(
            select(Actor).where(col(Actor.ap_id).in_(wanted[start : start + 500]))
        )
        for actor in rows.all():
            found[actor.ap_id] = actor


def is_local_item(item: InboxItem) -> bool:
    return item.key_id == LOCAL_KEY_ID


def object_of(item: InboxItem) -> Any:
    return item.body.get("object")


def object_id(item: InboxItem) -> str | None:
    return id_of(object_of(item))


def object_type(item: InboxItem) -> str | None:
    return type_of(object_of(item))


def embedded(item: InboxItem) -> dict[str, Any] | None:
    """The embedded object (the pipeline has already cut foreign ones back to ids)."""
    obj = object_of(item)
    return obj if isinstance(obj, dict) else None


async def sender(
    session: AsyncSession, node: NodeContext, item: InboxItem, *, allow_gone: bool = False
) -> Actor:
    """The activity's actor as a row in ``session``.

    The signature check stored it moments ago, so a fetch is only a fallback
    (the row was pruned meanwhile). An actor that deleted itself sends nothing
    more, except the redelivered Delete itself (``allow_gone``).
    """
    actor = await known_actor(session, item.actor_ap_id)
    if actor is None and not is_local_item(item) and not node.config.is_local(item.actor_ap_id):
        try:
            await node.remote.get(item.actor_ap_id)
        except FederationError as exc:
            raise RuntimeError(f"cannot load the sender: {exc.reason}") from exc
        actor = await known_actor(session, item.actor_ap_id)
    if actor is None:
        raise Refused("the sender is unknown")
    if actor.gone and not allow_gone:
        raise Refused("the sender has deleted itself")
    return actor


async def local_actor(session: AsyncSession, ap_id: str | None) -> Actor | None:
    """One of our actors by id (None for remote, unknown or gone ones)."""
    if not ap_id:
        return None
    actor = (
        await session.exec(select(Actor).where(Actor.ap_id == ap_id, col(Actor.local)))
    ).first()
    return actor if actor is not None and not actor.gone else None
