"""A batch of stored activities handled in one transaction, a savepoint per item.

Why one transaction: a commit per activity (and a session, a claim, a
state UPDATE per activity) was most of what handling cost. Here a batch is

1. claimed: the lease UPDATE is the transaction's first statement, so on
   SQLite the batch holds the one write lock from the start (a read first
   would pin a snapshot that the inbox writer's next commit makes stale,
   and the batch's first write would then fail at once);
2. looked up in bulk: every sender, every object the batch names (and each
   reply's parent), our followers of every sender, and the earlier items
   the batch's follow-ups must wait behind (:mod:`inbox.ordering`);
3. handled in optimistic groups (:mod:`inbox.groups`: the common case,
   many items in one savepoint, their rows written by one flush), and
   otherwise item by item, each in a savepoint: a handler that fails undoes
   only its own item, which retries alone with backoff (later items about
   the same object wait behind it); one refused is rejected alone. A group
   in which anything fails keeps nothing and is handled again item by item;
4. settled: every outcome written in a few statements, one commit.

``kill -9`` at any point of it commits nothing, the claim included: every
row of the batch is free again at once, and nothing it did is half kept.

**Ingress first.** On SQLite the batch holds the write lock, so it is
bounded in time (``budget``): while the inbox is storing a burst, a batch
holds the lock a few milliseconds, then lets the waiting 202s through;
items not reached are released unchanged.

**No network inside.** A fetch could take seconds, all of them with the
lock held. The batch runs :func:`federation.offline.offline`: an
item that needs a request (an unknown sender, a reply's missing parent) is
rolled back to its savepoint and handed back, to be handled alone after the
commit, as every item was before.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.known_objects import forget_objects, remember_objects
from content.moderation.state import forget_suspended, remember_suspended
from content.notifications import forget_subscribers, remember_subscribers
from federation.offline import NetworkDeferred, offline
from federation.vocab import id_of
from inbox.dispatch import Refused, dispatch
from inbox.groups import GROUP, groupable, handle_group
from inbox.handlers.common import known_actor, remember_actors
from inbox.handlers.mailbox import forget_local_followers, remember_local_followers
from inbox.ordering import AFTER, Holds, held_outside, keys_of
from storage.jobs import claim
from storage.models import InboxItem, InboxState
from storage.models.inbox import LEASE_SECONDS, MAX_ATTEMPTS
from storage.types import utcnow

log = logging.getLogger(__name__)

_ITEMS: Any = InboxItem.__table__  # type: ignore[attr-defined]

#: Types after which our followers of each sender are still what the batch read.
_FOLLOWS_UNCHANGED = frozenset({"Create", "Update", "Like", "Announce"})


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 2 s, 4 s, 8 s ... capped at an hour."""
    base = min(3600.0, 2.0**attempts)
    return timedelta(seconds=base * random.uniform(0.75, 1.25))


@dataclass
class Settled:
    """What became of a batch's items, written in :func:`_settle`."""

    claimed: int = 0
    processed: list[int] = field(default_factory=list)
    #: id → (state, attempts, next attempt, error)
    changed: dict[int, tuple[str, int, datetime, str | None]] = field(default_factory=dict)
    #: Not reached in time: released, unchanged.
    released: list[int] = field(default_factory=list)
    #: Need the network: handled alone after the commit, in this order.
    alone: list[InboxItem] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.processed) + len(self.changed)


def failure(item: InboxItem, exc: BaseException) -> tuple[str, int, datetime, str]:
    """The state, attempts, next attempt and error of an item whose handler raised ``exc``."""
    attempts = item.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if attempts >= MAX_ATTEMPTS:
        return InboxState.FAILED, attempts, item.next_attempt_at, error
    return InboxState.RECEIVED, attempts, utcnow() + retry_delay(attempts), error


async def _remember(session: AsyncSession, node: NodeContext, items: Sequence[InboxItem]) -> None:
    """The batch's bulk reads: senders, the objects it names, our followers of the senders."""
    await remember_actors(session, {i.actor_ap_id for i in items})
    named: set[str] = set()
    for item in items:
        obj = item.body.get("object") if isinstance(item.body, dict) else None
        if (target := id_of(obj)) is not None:
            named.add(target)
        if isinstance(obj, dict) and isinstance(parent := obj.get("inReplyTo"), str):
            named.add(parent)
    await remember_objects(session, named)
    senders = []
    for item in items:
        actor = await known_actor(session, item.actor_ap_id)  # remembered: no query
        if actor is not None and actor.id is not None:
            senders.append(actor.id)
    await remember_local_followers(session, senders)
    await remember_suspended(session, {i.actor_ap_id for i in items})
    await remember_subscribers(session, senders)


def _forget(session: AsyncSession) -> None:
    forget_objects(session)
    forget_suspended(session)
    forget_subscribers(session)


async def handle_batch(
    node: NodeContext, *, limit: int, budget: float, lease: timedelta | None = None
) -> Settled:
    """Claim and handle up to ``limit`` items for about ``budget`` seconds, in one transaction.

    Returns what became of them; ``alone`` are the items to handle alone now
    (they need the network; still leased to us).
    """
    started = time.monotonic()
    async with node.sessions() as session:
        items = await claim(
            session,
            InboxItem,
            ready_state=InboxState.RECEIVED,
            limit=limit,
            lease=lease or timedelta(seconds=LEASE_SECONDS),
        )
        # The claim's RETURNING comes in no particular order (PostgreSQL's is the heap's).
        items.sort(key=lambda i: (i.next_attempt_at, i.id or 0))
        settled = Settled(claimed=len(items))
        if not items:
            await session.commit()
            return settled
        holds = await held_outside(session, items)
        await _remember(session, node, items)
        with offline():
            await _handle_run(session, node, items, holds, settled, started + budget)
        _forget(session)
        await _settle(session, settled)
        await session.commit()
    return settled


async def _handle_run(
    session: AsyncSession,
    node: NodeContext,
    items: list[InboxItem],
    holds: Holds,
    settled: Settled,
    deadline: float | None = None,
) -> None:
    """Handle ``items`` in order, in groups where they may be; past ``deadline``
    (once something was handled) the rest are released."""
    at = 0
    while at < len(items):
        if (
            deadline is not None
            and time.monotonic() > deadline
            and (settled.processed or settled.changed)
        ):
            settled.released += [i.id for i in items[at:] if i.id is not None]
            return
        group = _group_at(node, items, at, holds)
        if group:
            at += await _handle_grouped(session, node, group, holds, settled)
        else:
            await _handle(session, node, items[at], holds, settled)
            at += 1


def _group_at(node: NodeContext, items: list[InboxItem], at: int, holds: Holds) -> list[InboxItem]:
    """The items from ``at`` on that may be handled as a group (none: handle ``at`` alone)."""
    group: list[InboxItem] = []
    for item in items[at : at + GROUP]:
        keys = keys_of(item)
        if (
            not groupable(node, item)
            or holds.behind_alone(keys)
            or holds.wait_until(keys) is not None
        ):
            break
        group.append(item)
    return group if len(group) > 1 else []


async def _handle(
    session: AsyncSession, node: NodeContext, item: InboxItem, holds: Holds, settled: Settled
) -> None:
    assert item.id is not None
    keys = keys_of(item)
    if holds.behind_alone(keys):
        holds.hold_alone(keys)
        settled.alone.append(item)
        return
    if (until := holds.wait_until(keys)) is not None:
        due = until + AFTER
        holds.hold(keys, due)
        settled.changed[item.id] = (InboxState.RECEIVED, item.attempts, due, item.error)
        return
    try:
        async with session.begin_nested():
            await dispatch(session, node, item)
    except (Exception, NetworkDeferred) as exc:
        _failed(item, exc, holds, settled)
    else:
        settled.processed.append(item.id)
    if item.activity_type not in _FOLLOWS_UNCHANGED:
        forget_local_followers(session)


def _failed(item: InboxItem, exc: BaseException, holds: Holds, settled: Settled) -> None:
    """Record what became of ``item``, whose handler raised ``exc`` (its savepoint undone)."""
    assert item.id is not None
    keys = keys_of(item)
    if isinstance(exc, NetworkDeferred):
        holds.hold_alone(keys)
        settled.alone.append(item)
    elif isinstance(exc, Refused):
        settled.changed[item.id] = (
            InboxState.REJECTED,
            item.attempts,
            item.next_attempt_at,
            exc.reason[:2000],
        )
        log.info("inbox item %s refused: %s", item.activity_id, exc.reason)
    else:
        state, attempts, due, error = failure(item, exc)
        settled.changed[item.id] = (state, attempts, due, error)
        if state == InboxState.RECEIVED:
            holds.hold(keys, due)
        log.warning("inbox item %s failed: %s", item.activity_id, error)


async def _handle_grouped(
    session: AsyncSession,
    node: NodeContext,
    group: list[InboxItem],
    holds: Holds,
    settled: Settled,
) -> int:
    """Handle ``group`` together; when that fails, as if each had been handled alone.

    A handler's own failure is the failing item's outcome (as it would have
    been alone), and the items before it are handled again; the items after
    it are left to the caller (they may have to wait behind it now). A
    failure the group cannot pin on one item (a database error, which may
    come from an earlier item's row flushed late) sends the whole group one
    by one. Returns how many items of ``group`` were dealt with.
    """
    failed = await handle_group(session, node, group)
    if failed is None:
        settled.processed += [i.id for i in group if i.id is not None]
        return len(group)
    if failed.index is None:
        for item in group:
            await _handle(session, node, item, holds, settled)
        return len(group)
    await _handle_run(session, node, group[: failed.index], holds, settled)
    _failed(group[failed.index], failed.error, holds, settled)
    return failed.index + 1


async def _settle(session: AsyncSession, settled: Settled) -> None:
    """Write every outcome of the batch: one UPDATE for the processed, one executemany else."""
    for start in range(0, len(settled.processed), 500):
        await session.exec(
            update(_ITEMS)
            .where(_ITEMS.c.id.in_(settled.processed[start : start + 500]))
            .values(state=InboxState.PROCESSED, locked_until=None, error=None)
        )
    if settled.changed:
        await session.exec(
            update(_ITEMS)
            .where(_ITEMS.c.id == bindparam("b_id"))
            .values(
                state=bindparam("b_state"),
                attempts=bindparam("b_attempts"),
                next_attempt_at=bindparam("b_due"),
                error=bindparam("b_error"),
                locked_until=None,
            ),
            params=[
                {"b_id": i, "b_state": s, "b_attempts": a, "b_due": d, "b_error": e}
                for i, (s, a, d, e) in settled.changed.items()
            ],
        )
    if settled.released:
        await session.exec(
            update(_ITEMS).where(_ITEMS.c.id.in_(settled.released)).values(locked_until=None)
        )
