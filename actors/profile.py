"""Telling followers that an actor changed: profile edits and key rotation.

Both end in one ``Update`` of the actor document, addressed publicly and to
the followers, so every server that caches the actor refreshes it.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.as2 import actor_to_as2
from actors.context import NodeContext
from federation.constants import PUBLIC
from federation.jsonld import canonical_context
from federation.signatures.keys import generate_rsa_keypair
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Activity, Actor
from storage.types import utcnow


async def publish_actor_update(session: AsyncSession, node: NodeContext, actor: Actor) -> Activity:
    """Stamp ``actor`` as updated and queue ``Update(actor)`` to its followers."""
    actor.updated_at = utcnow()
    session.add(actor)
    await session.flush()
    document = actor_to_as2(actor, node.config)
    document.pop("@context", None)
    activity_id = new_id()
    body = {
        "@context": canonical_context(),
        "id": node.config.activity_url(actor.username, activity_id),
        "type": "Update",
        "actor": actor.ap_id,
        "published": actor.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": [PUBLIC],
        "cc": [actor.followers_url] if actor.followers_url else [],
        "object": document,
    }
    activity, _audience = await publish(session, actor, body, activity_id=activity_id)
    return activity


async def rotate_keys(session: AsyncSession, node: NodeContext, actor: Actor) -> Activity:
    """Give a local actor a new RSA-2048 key pair and announce it.

    The new key gets a new key id. Receivers that refetch a key when a signature
    fails (Mastodon, us) would cope with the old id, but others cache a key id
    for good (Fedify 2.3 does): an id they have never seen makes every server
    fetch the actor and find the new key.
    """
    if not actor.local:
        raise ValueError("only local actors have keys here")
    actor.private_key_pem, actor.public_key_pem = generate_rsa_keypair()
    actor.public_key_id = f"{actor.ap_id}#key-{new_id()}"
    return await publish_actor_update(session, node, actor)
