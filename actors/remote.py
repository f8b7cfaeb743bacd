"""Remote actors: fetched with a signed GET from the instance actor, cached as rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.as2 import remote_actor_fields
from federation.errors import FederationError
from federation.jsonld import normalize
from storage.engine import SessionMaker
from storage.models import Actor
from storage.types import utcnow
from storage.upsert import insert_if_absent

FetchJson = Callable[[str], Awaitable[dict[str, Any]]]

# A cached remote actor older than this is refetched when next needed.
STALE_AFTER = timedelta(days=1)


async def actor_by_ap_id(session: AsyncSession, ap_id: str) -> Actor | None:
    return (await session.exec(select(Actor).where(Actor.ap_id == ap_id))).first()


async def upsert_remote_actor(session: AsyncSession, fields: dict[str, Any]) -> Actor:
    """Insert or refresh a remote actor; a local actor is never overwritten."""
    now = utcnow()
    actor = await actor_by_ap_id(session, fields["ap_id"])
    if actor is None:
        await insert_if_absent(session, Actor(**fields, fetched_at=now, updated_at=now))
        actor = await actor_by_ap_id(session, fields["ap_id"])
        assert actor is not None
    if actor.local:
        return actor
    for name, value in fields.items():
        setattr(actor, name, value)
    actor.fetched_at = now
    actor.updated_at = now
    actor.gone = False
    await session.flush()
    return actor


class RemoteActors:
    """Fetches remote actor documents and keeps the cached rows fresh."""

    def __init__(self, sessions: SessionMaker, fetch_json: FetchJson) -> None:
        self._sessions = sessions
        self._fetch_json = fetch_json

    async def fetch_document(self, url: str) -> dict[str, Any]:
        return normalize(await self._fetch_json(url))

    async def refresh(self, url: str) -> Actor:
        """Fetch ``url`` now and store what it says (a Group's member count too)."""
        fields = remote_actor_fields(await self.fetch_document(url), url)
        if fields["type"] == "Group" and fields.get("followers_url"):
            fields["followers_count"] = await self.total_items(fields["followers_url"])
        async with self._sessions() as session:
            actor = await upsert_remote_actor(session, fields)
            await session.commit()
            return actor

    async def total_items(self, url: str) -> int | None:
        """A collection's ``totalItems`` (None when it is hidden, absent or unreadable).

        A remote community's member count is its own node's word: our
        members are only a few of them (Lemmy, PieFed and we publish it as
        ``followers.totalItems``; a members-only community hides it).
        """
        try:
            doc = await self._fetch_json(url)
        except FederationError:
            return None
        total = doc.get("totalItems")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            return None
        return min(total, 2**31 - 1)

    async def get(self, ap_id: str) -> Actor:
        """The cached actor, fetched when missing or stale."""
        async with self._sessions() as session:
            actor = await actor_by_ap_id(session, ap_id)
        if actor is not None and (
            actor.local or (actor.fetched_at and utcnow() - actor.fetched_at < STALE_AFTER)
        ):
            return actor
        return await self.refresh(ap_id)
