"""Who receives an activity: addressing resolved to a deduplicated set of inboxes.

Each remote actor is reached through its shared inbox when it has one, so a
post to 10,000 followers on 1,000 servers costs 1,000 requests. Local actors
are not delivered to over HTTP: the publisher hands the activity to our own
inbox pipeline instead (see :mod:`outbox.publish`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

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


def _inbox_of(shared_inbox_url: str | None, inbox_url: str, ap_id: str) -> str | None:
    """Where to deliver to an actor: its shared inbox, else its own, on its own origin only.

    Actor documents with an inbox elsewhere are refused when fetched
    (:func:`actors.as2.remote_actor_fields`); rows stored before that rule, or
    written by any other path, are held to it here, where a URL becomes a delivery.
    Each actor is judged on its own (another actor's shared inbox proves nothing
    for this one); :func:`federation.origin.same_origin` makes the judgement cheap
    when the actor's id lies under the inbox's origin, as nearly every one does.
    """
    for url in (shared_inbox_url, inbox_url):
        if url and same_origin(url, ap_id):
            return url
    return None


# What delivery needs of an actor, as plain rows: building an ORM entity per
# follower (every column, the time columns' processors, the identity map) was
# most of a 30,000-follower post's resolve, about 40 us a follower. Gone actors
# receive nothing, so they are not read. (Five columns: more than sqlmodel's
# select() is typed for.)
_RECIPIENTS: Select[int, bool, str | None, str, str] = select(  # type: ignore[call-overload]
    Actor.id, Actor.local, Actor.shared_inbox_url, Actor.inbox_url, Actor.ap_id
).where(col(Actor.gone).is_(False))


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
            followers = _RECIPIENTS.join(Follow, col(Follow.follower_id) == col(Actor.id)).where(
                Follow.followee_id == author.id, Follow.state == FollowState.ACCEPTED
            )
            _add(audience, await session.exec(followers))
        else:
            actor_ids.append(target)
    if actor_ids:
        _add(audience, await session.exec(_RECIPIENTS.where(col(Actor.ap_id).in_(actor_ids))))
    if author.id is not None:
        audience.local_recipients.discard(author.id)
    return audience


def _add(audience: Audience, rows: Iterable[tuple[int, bool, str | None, str, str]]) -> None:
    for actor_id, local, shared_inbox_url, inbox_url, ap_id in rows:
        if local:
            audience.local_recipients.add(actor_id)
        elif (inbox := _inbox_of(shared_inbox_url, inbox_url, ap_id)) is not None:
            audience.inboxes.add(inbox)
