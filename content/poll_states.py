"""What a poll still owes after its votes: new totals told, and its end announced.

* **Totals.** Each vote counted on one of our polls (cast here or received)
  sets ``update_due_at`` unless it is set already; when it comes,
  :func:`publish_due` sends one ``Update(Question)`` with the totals to the
  poll's audience and every remote voter's node (``STAFFROOM_POLL_DEBOUNCE_SECONDS``
  gathers a burst of votes into one Update). The totals are not an edit:
  the Question's ``updated`` stays as it was.
* **The end.** A poll is tracked from its creation (ours) or from the first
  vote cast here (anyone's). When ``ends_at`` has passed, :func:`close_due`
  claims the row (a conditional UPDATE of ``ended_at``: one worker wins),
  closes our poll (``closed``, a last ``Update``) and gives each local voter
  and, for our polls, the author Mastodon's ``poll`` notification.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import iso, object_to_as2, parse_time
from content.due_updates import hold, send_due
from content.notifications import POLL, notify
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ContentObject, PollState, PollVote
from storage.types import utcnow

log = logging.getLogger(__name__)
BATCH = 50


async def _state(session: AsyncSession, obj: ContentObject) -> PollState:
    assert obj.id is not None
    state = await session.get(PollState, obj.id)
    if state is None:
        state = PollState(object_id=obj.id, ends_at=parse_time(obj.extra.get("endTime")))
        session.add(state)
        await session.flush()
    return state


async def track(session: AsyncSession, obj: ContentObject) -> None:
    """Watch a poll for its end (our new or edited poll, or one a local account voted in)."""
    if obj.type != "Question" or obj.id is None:
        return
    state = await _state(session, obj)
    ends = parse_time(obj.extra.get("endTime"))
    if state.ended_at is None and state.ends_at != ends:
        state.ends_at = ends
        session.add(state)
        await session.flush()


async def refresh_end(session: AsyncSession, obj: ContentObject) -> None:
    """A watched remote poll was updated: its end is what its server now says."""
    if obj.type != "Question" or obj.id is None:
        return
    state = await session.get(PollState, obj.id)
    if state is None or state.ended_at is not None:
        return
    ends = parse_time(obj.extra.get("closed")) or parse_time(obj.extra.get("endTime"))
    if ends != state.ends_at:
        state.ends_at = ends
        session.add(state)
        await session.flush()


async def hold_totals(session: AsyncSession, obj: ContentObject) -> None:
    """Take our poll's row before its votes are recounted, so a totals Update being
    claimed at this moment either waits for this vote or leaves one due for it."""
    if not obj.local or obj.id is None:
        return
    if await hold(session, PollState.object_id, obj.id) is None:
        await _state(session, obj)


async def mark_totals_due(session: AsyncSession, obj: ContentObject, window: timedelta) -> None:
    """New totals of our poll are owed to other nodes (debounced)."""
    if not obj.local:
        return
    state = await _state(session, obj)
    if state.update_due_at is None:
        state.update_due_at = utcnow() + window
        session.add(state)
        await session.flush()


async def _remote_voters(session: AsyncSession, object_id: int) -> list[str]:
    rows = await session.exec(
        select(Actor.ap_id)
        .join(PollVote, col(PollVote.actor_id) == Actor.id)
        .where(PollVote.object_id == object_id, col(Actor.local).is_(False))
        .distinct()
    )
    return list(rows.all())


async def _send_totals(
    session: AsyncSession, node: NodeContext, obj: ContentObject, author: Actor
) -> None:
    assert obj.id is not None
    doc = object_to_as2(obj, author, node.config)
    doc.pop("@context", None)
    body = {
        "@context": canonical_context(),
        "id": node.config.activity_url(author.username, new_id()),
        "type": "Update",
        "actor": author.ap_id,
        "published": iso(utcnow()),
        "to": list(obj.to),
        "cc": list(obj.cc),
        "object": doc,
    }
    await publish(session, author, body, extra_recipients=await _remote_voters(session, obj.id))


async def _claim(session: AsyncSession, column: str, object_id: int, seen: datetime) -> bool:
    target = getattr(PollState, column)
    values = {"update_due_at": None} if column == "update_due_at" else {"ended_at": utcnow()}
    where = [col(PollState.object_id) == object_id]
    where.append(col(target) == seen if column == "update_due_at" else col(target).is_(None))
    claimed = await session.exec(
        update(PollState)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)


async def publish_due(node: NodeContext, now: datetime) -> int:
    due = (
        select(PollState.object_id, PollState.update_due_at)
        .where(col(PollState.update_due_at) <= now)
        .limit(BATCH)
    )
    return await send_due(node, due, _publish_one, "poll totals")


async def _publish_one(node: NodeContext, object_id: int, at: datetime) -> bool:
    async with node.sessions() as session:
        if not await _claim(session, "update_due_at", object_id, at):
            return False
        obj = await session.get(ContentObject, object_id)
        author = await session.get(Actor, obj.author_id) if obj else None
        sent = obj is not None and author is not None and obj.deleted_at is None
        if sent:
            assert obj is not None and author is not None
            await _send_totals(session, node, obj, author)
        await session.commit()
        return sent


async def _end(session: AsyncSession, node: NodeContext, obj: ContentObject) -> None:
    assert obj.id is not None
    author = await session.get(Actor, obj.author_id)
    if author is None:
        return
    if obj.local:
        obj.extra = {**obj.extra, "closed": obj.extra.get("endTime") or iso(utcnow())}
        session.add(obj)
        await session.flush()
        await _send_totals(session, node, obj, author)
        await notify(session, author, POLL, author, obj, allow_self=True)
    # Distinct ids, not rows: PostgreSQL has no equality for the actors' JSON columns.
    voter_ids = await session.exec(
        select(PollVote.actor_id)
        .join(Actor, col(Actor.id) == PollVote.actor_id)
        .where(PollVote.object_id == obj.id, col(Actor.local))
        .distinct()
    )
    for voter_id in voter_ids.all():
        voter = await session.get(Actor, voter_id)
        if voter is not None:
            await notify(session, voter, POLL, author, obj)


async def close_due(node: NodeContext, now: datetime) -> int:
    """Announce the end of the polls whose time is up; returns how many this worker ended."""
    async with node.sessions() as session:
        rows = await session.exec(
            select(PollState.object_id)
            .where(col(PollState.ends_at) <= now, col(PollState.ended_at).is_(None))
            .limit(BATCH)
        )
        due = list(rows.all())
    ended = 0
    for object_id in due:
        try:
            async with node.sessions() as session:
                if not await _claim(session, "ended_at", object_id, now):
                    continue
                obj = await session.get(ContentObject, object_id)
                if obj is not None and obj.deleted_at is None:
                    await _end(session, node, obj)
                    ended += 1
                await session.commit()
        except Exception:
            log.exception("the end of poll %s failed", object_id)
    return ended
