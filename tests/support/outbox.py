"""Seed the delivery queue directly: a local author with keys, remote actors, activities.

The delivery tests and ``bench/fanout.py`` need rows in ``deliveries`` without
going through the API; these helpers write exactly what :mod:`outbox.publish`
would, in the caller's session (nothing commits here).
"""

from __future__ import annotations

import functools
import itertools
from typing import Any
from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.signatures.keys import generate_rsa_keypair
from outbox.publish import enqueue
from storage.ids import new_id
from storage.models import Activity, Actor, Follow, FollowState

_serial = itertools.count(1)


@functools.lru_cache(maxsize=1)
def author_keys() -> tuple[str, str]:
    """One RSA key pair for every test author (generating keys is slow)."""
    return generate_rsa_keypair()


async def make_author(session: AsyncSession, base_url: str, name: str = "author") -> Actor:
    private_pem, public_pem = author_keys()
    ap_id = f"{base_url}/users/{name}"
    actor = Actor(
        id=new_id(),
        ap_id=ap_id,
        local=True,
        local_username=name,
        username=name,
        domain=urlsplit(base_url).netloc,
        inbox_url=f"{ap_id}/inbox",
        followers_url=f"{ap_id}/followers",
        public_key_id=f"{ap_id}#main-key",
        public_key_pem=public_pem,
        private_key_pem=private_pem,
    )
    session.add(actor)
    await session.flush()
    return actor


async def make_remote(
    session: AsyncSession,
    ap_id: str,
    *,
    inbox_url: str | None = None,
    shared_inbox_url: str | None = None,
    follows: Actor | None = None,
) -> Actor:
    """A cached remote actor (optionally an accepted follower of ``follows``)."""
    parts = urlsplit(ap_id)
    actor = Actor(
        id=new_id(),
        ap_id=ap_id,
        username=parts.path.rsplit("/", 1)[-1],
        domain=parts.netloc,
        inbox_url=inbox_url or f"{ap_id}/inbox",
        shared_inbox_url=shared_inbox_url,
    )
    session.add(actor)
    if follows is not None:
        await session.flush()
        assert actor.id is not None
        assert follows.id is not None
        session.add(
            Follow(
                id=new_id(),
                follower_id=actor.id,
                followee_id=follows.id,
                state=FollowState.ACCEPTED,
                activity_ap_id=f"{ap_id}/follows/{next(_serial)}",
            )
        )
    await session.flush()
    return actor


def note(author: Actor, n: int | None = None, **extra: Any) -> dict[str, Any]:
    """A ``Create(Note)`` by ``author`` addressed to the public and its followers."""
    n = next(_serial) if n is None else n
    object_id = f"{author.ap_id}/notes/{n}-{new_id()}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{object_id}/activity",
        "type": "Create",
        "actor": author.ap_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [author.followers_url],
        "object": {
            "id": object_id,
            "type": "Note",
            "attributedTo": author.ap_id,
            "content": f"<p>Lesson plan #{n}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [author.followers_url],
        },
        **extra,
    }


async def queue_to(session: AsyncSession, author: Actor, inboxes: list[str]) -> Activity:
    """Record a note by ``author`` and one delivery row per inbox (as publish does)."""
    assert author.id is not None
    body = note(author)
    activity = Activity(
        id=new_id(),
        ap_id=body["id"],
        actor_id=author.id,
        type=body["type"],
        object_ap_id=body["object"]["id"],
        public=True,
        body=body,
    )
    session.add(activity)
    await session.flush()
    await enqueue(session, activity, set(inboxes))
    return activity
