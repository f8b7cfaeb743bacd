"""Resolving ``@name@host`` to an actor: our rows first, then WebFinger, then the actor document.

Everything here may go to the network, so the posting code calls it *before*
it writes anything: on SQLite a write transaction held open across a fetch
would block the remote-actor cache, which commits in its own session.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.local import local_actor_by_name
from actors.remote import actor_by_ap_id
from actors.roles import INSTANCE_ACTOR_USERNAME
from content.formatting import Mentioned, MentionRef
from federation import webfinger
from federation.errors import FederationError
from storage.models import Actor

log = logging.getLogger(__name__)

JRD_ACCEPT = "application/jrd+json, application/json"


def mentioned(actor: Actor) -> Mentioned:
    return Mentioned(
        actor_id=actor.ap_id,
        profile_url=actor.url or actor.ap_id,
        username=actor.username,
        domain=actor.domain,
    )


def _schemes(node: NodeContext) -> list[str]:
    """https always; plain http too on a node allowed to use it (loopback test nets)."""
    if not node.config.allow_http:
        return ["https"]
    first = node.config.scheme
    return [first, "https" if first == "http" else "http"]


async def webfinger_document(node: NodeContext, user: str, host: str) -> dict[str, Any] | None:
    """The JRD ``host`` answers for ``acct:user@host`` (through the guarded client), if any."""
    resource = quote(f"acct:{user}@{host}", safe=":@")
    for scheme in _schemes(node):
        url = f"{scheme}://{host}/.well-known/webfinger?resource={resource}"
        try:
            return await node.client.get_json(url, accept=JRD_ACCEPT)
        except FederationError as exc:
            log.debug("webfinger %s failed: %s", url, exc.reason)
    return None


async def webfinger_actor_url(node: NodeContext, user: str, host: str) -> str | None:
    """The actor id that ``acct:user@host`` names, or None when the host does not say."""
    document = await webfinger_document(node, user, host)
    return None if document is None else webfinger.self_link(document)


async def _cached_remote(session: AsyncSession, user: str, host: str) -> Actor | None:
    return (
        await session.exec(
            select(Actor).where(
                func.lower(Actor.username) == user.lower(),
                Actor.domain == host.lower(),
                col(Actor.local).is_(False),
                col(Actor.gone).is_(False),
            )
        )
    ).first()


async def actor_for_id(session: AsyncSession, node: NodeContext, ap_id: str) -> Actor | None:
    """An actor by its id, in ``session``: ours, cached, or fetched now."""
    actor = await actor_by_ap_id(session, ap_id)
    if actor is not None and actor.local:
        return actor
    if node.config.is_local(ap_id):
        return None
    try:
        fetched = await node.remote.get(ap_id)
    except FederationError as exc:
        log.info("cannot resolve actor %s: %s", ap_id, exc.reason)
        return None
    # The cache committed it in its own session; read it back into ours.
    return await actor_by_ap_id(session, fetched.ap_id)


async def resolve_mention(
    session: AsyncSession, node: NodeContext, ref: MentionRef
) -> Actor | None:
    """The actor a written mention means, or None (the mention then stays plain text)."""
    host = ref.host.lower() if ref.host else None
    if host is None or host == node.config.domain.lower():
        actor = await local_actor_by_name(session, ref.user)
        if actor is None or actor.username.lower() == INSTANCE_ACTOR_USERNAME:
            return None
        return actor
    cached = await _cached_remote(session, ref.user, host)
    if cached is not None:
        return cached
    url = await webfinger_actor_url(node, ref.user, host)
    return await actor_for_id(session, node, url) if url else None


async def resolve_mentions(
    session: AsyncSession, node: NodeContext, refs: list[MentionRef]
) -> dict[tuple[str, str | None], Actor]:
    resolved: dict[tuple[str, str | None], Actor] = {}
    for ref in refs:
        actor = await resolve_mention(session, node, ref)
        if actor is not None:
            resolved[ref.key()] = actor
    return resolved
