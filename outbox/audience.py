"""Who receives an activity: addressing resolved to a deduplicated set of inboxes.

Each remote actor is reached through its shared inbox when it has one, so a
post to 10,000 followers on 1,000 servers costs 1,000 requests. Local actors
are not delivered to over HTTP: the publisher hands the activity to our own
inbox pipeline instead (see :mod:`outbox.publish`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.constants import is_public
from federation.origin import same_origin
from federation.vocab import ids_of
from storage.models import Actor, Follow, FollowState

ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")


@dataclass
class Audience:
    inboxes: set[str] = field(default_factory=set)
    local_recipients: set[int] = field(default_factory=set)
    public: bool = False


def addressed_ids(body: dict[str, Any]) -> list[str]:
    """Every id the activity and its embedded object address, in order, once each."""
    found: list[str] = []
    sources = [body] + ([body["object"]] if isinstance(body.get("object"), dict) else [])
    for source in sources:
        for name in ADDRESS_FIELDS:
            found.extend(ids_of(source.get(name)))
    return list(dict.fromkeys(found))


def _inbox_of(actor: Actor) -> str | None:
    """Where to deliver to ``actor``: its shared inbox, else its own, on its own origin only.

    Actor documents with an inbox elsewhere are refused when fetched
    (:func:`actors.as2.remote_actor_fields`); rows stored before that rule, or
    written by any other path, are held to it here, where a URL becomes a delivery.
    """
    for url in (actor.shared_inbox_url, actor.inbox_url):
        if url and same_origin(url, actor.ap_id):
            return url
    return None


async def follower_actors(session: AsyncSession, followee_id: int) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(Follow, Follow.follower_id == Actor.id)  # type: ignore[arg-type]
        .where(Follow.followee_id == followee_id, Follow.state == FollowState.ACCEPTED)
    )
    return list(rows.all())


async def resolve(
    session: AsyncSession, author: Actor, body: dict[str, Any], *, extra: list[str] | None = None
) -> Audience:
    """Resolve ``body``'s addressing (plus ``extra`` actor ids) for delivery by ``author``."""
    audience = Audience()
    actor_ids: list[str] = []
    for target in [*addressed_ids(body), *(extra or [])]:
        if is_public(target):
            audience.public = True
        elif author.followers_url and target == author.followers_url:
            assert author.id is not None
            for follower in await follower_actors(session, author.id):
                _add(audience, follower)
        else:
            actor_ids.append(target)
    if actor_ids:
        rows = await session.exec(select(Actor).where(col(Actor.ap_id).in_(actor_ids)))
        for actor in rows.all():
            _add(audience, actor)
    if author.id is not None:
        audience.local_recipients.discard(author.id)
    return audience


def _add(audience: Audience, actor: Actor) -> None:
    if actor.gone:
        return
    if actor.local:
        assert actor.id is not None
        audience.local_recipients.add(actor.id)
    elif (inbox := _inbox_of(actor)) is not None:
        audience.inboxes.add(inbox)
