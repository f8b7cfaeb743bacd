"""Per-object order in the inbox: an Update, Delete or Undo never overtakes what it follows.

A sender's activities about one thing share a *key*: the Create of a post
and its Update and Delete name the post; a Like and its Undo name the Like.
An item's keys are ``(sender, activity id)`` and ``(sender, object id)``.

Handled one at a time in claim order, items keep their order by themselves.
Three things could break it, and each is caught here:

* an earlier item of the same batch failed (it retries later, with
  backoff): later items sharing a key wait until just after its retry
  (:class:`Holds`);
* an earlier item went to be handled alone (it needs the network): later
  ones sharing a key go with it, behind it;
* an earlier item is outside the batch: failed and waiting for its retry,
  or claimed by another worker right now (several worker processes on
  PostgreSQL). :func:`held_outside` finds those for the batch's follow-ups
  (one query) and they wait the same way.

Waiting moves ``next_attempt_at`` only (no attempt is spent): the claim
takes rows by (``next_attempt_at``, id), so a row due just after the one it
follows is claimed after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.vocab import id_of
from storage.models import InboxItem, InboxState
from storage.types import utcnow

#: Types that act on something an earlier activity made.
FOLLOW_UPS = frozenset({"Update", "Delete", "Undo"})
#: How long a follow-up waits behind an item another worker holds right now.
BEHIND_IN_FLIGHT = timedelta(seconds=1)
#: A waiting item is due this long after the one it waits for.
AFTER = timedelta(milliseconds=1)

Key = tuple[str, str]


def keys_of(item: InboxItem) -> set[Key]:
    """What ``item`` is about, per sender: its own id and its object's id."""
    return _keys(item.actor_ap_id, item.activity_id, item.body)


def _keys(actor: str, activity_id: str, body: Any) -> set[Key]:
    found = {(actor, activity_id)}
    target = id_of(body.get("object")) if isinstance(body, dict) else None
    if target:
        found.add((actor, target))
    return found


@dataclass
class Holds:
    """Keys later items must wait behind: until a time, or behind an item handled alone."""

    until: dict[Key, datetime] = field(default_factory=dict)
    alone: set[Key] = field(default_factory=set)

    def wait_until(self, keys: Iterable[Key]) -> datetime | None:
        times = [self.until[k] for k in keys if k in self.until]
        return max(times) if times else None

    def behind_alone(self, keys: Iterable[Key]) -> bool:
        return any(k in self.alone for k in keys)

    def hold(self, keys: Iterable[Key], until: datetime) -> None:
        for key in keys:
            self.until[key] = max(until, self.until.get(key, until))

    def hold_alone(self, keys: Iterable[Key]) -> None:
        self.alone.update(keys)


async def held_outside(session: AsyncSession, batch: Sequence[InboxItem]) -> Holds:
    """Keys of earlier unfinished items, outside ``batch``, that its follow-ups share."""
    holds = Holds()
    follow_ups = [i for i in batch if i.activity_type in FOLLOW_UPS and i.id is not None]
    if not follow_ups:
        return holds
    wanted: set[Key] = set().union(*(keys_of(i) for i in follow_ups))
    senders = sorted({i.actor_ap_id for i in follow_ups})
    newest = max(i.id for i in follow_ups if i.id is not None)
    ours = [i.id for i in batch]
    # Five columns: more than sqlmodel's select() is typed for.
    earlier: Any = select(
        col(InboxItem.actor_ap_id),
        col(InboxItem.activity_id),
        col(InboxItem.body),
        col(InboxItem.next_attempt_at),
        col(InboxItem.locked_until),
    ).where(
        col(InboxItem.actor_ap_id).in_(senders),
        col(InboxItem.state) == InboxState.RECEIVED,
        col(InboxItem.id) < newest,
        col(InboxItem.id).not_in(ours),
    )
    rows = await session.exec(earlier)
    now = utcnow()
    for actor, activity_id, body, due, locked in rows.all():
        shared = _keys(actor, activity_id, body) & wanted
        if not shared:
            continue
        if locked is not None and locked > now:
            until = max(due, now + BEHIND_IN_FLIGHT)  # another worker has it right now
        else:
            until = max(due, now) + AFTER
        holds.hold(shared, until)
    return holds
