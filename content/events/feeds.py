"""A person's secret calendar address: the events they joined, for calendar apps.

Calendar apps (Google Calendar, Apple Calendar, Thunderbird, Outlook)
subscribe to a URL and poll it without any ``Authorization`` header, so the
bearer-token ``joined.ics`` of the API is out of their reach. Each account
may hold one secret feed token instead: the URL
``/calendars/<token>/joined.ics`` is then the credential. It reads the
events the person takes part in and nothing else (no account, no write),
it can be regenerated (the old address stops at once) or revoked, and a
wrong token is the 404 of a missing page.
"""

from __future__ import annotations

import secrets

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.events import queries
from content.events.calendar import calendar
from storage.models import Account, Actor, CalendarFeed, ContentObject, EventRow

#: Events a calendar carries at most.
MAX_EVENTS = 500
#: 32 random bytes, URL-safe (43 characters).
TOKEN_BYTES = 32


def feed_path(token: str) -> str:
    return f"/calendars/{token}/joined.ics"


async def feed_of(session: AsyncSession, account: Account) -> CalendarFeed | None:
    return await session.get(CalendarFeed, account.id)


async def regenerate(session: AsyncSession, account: Account) -> CalendarFeed:
    """A new secret address for ``account``; the previous one stops working."""
    assert account.id is not None
    row = await feed_of(session, account) or CalendarFeed(account_id=account.id, token="")
    row.token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(row)
    await session.flush()
    return row


async def revoke(session: AsyncSession, account: Account) -> bool:
    row = await feed_of(session, account)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def owner_of(session: AsyncSession, token: str) -> Actor | None:
    """The actor whose feed ``token`` is (None for a wrong, revoked or malformed one)."""
    if not 32 <= len(token) <= 64:
        return None
    found = (
        await session.exec(
            select(CalendarFeed, Account).join(Account).where(CalendarFeed.token == token)
        )
    ).first()
    if found is None or not secrets.compare_digest(found[0].token, token):
        return None
    account = found[1]
    if account.disabled:
        return None
    actor = await session.get(Actor, account.actor_id)
    return None if actor is None or actor.gone else actor


async def joined_events(
    session: AsyncSession, actor: Actor
) -> list[tuple[EventRow, ContentObject]]:
    """The events ``actor`` takes part in (as ``joined.ics`` lists them), with their posts."""
    rows = await queries.find(session, actor, queries.EventQuery(joined=True, limit=MAX_EVENTS))
    out = []
    for row in rows:
        obj = await session.get(ContentObject, row.object_id)
        if obj is not None and obj.deleted_at is None:
            out.append((row, obj))
    return out


async def joined_calendar(session: AsyncSession, actor: Actor) -> bytes:
    return calendar(f"{actor.username}: events", await joined_events(session, actor))
