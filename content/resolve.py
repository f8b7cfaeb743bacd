"""What a URL or a handle names: a post or an account, known already or fetched now.

Shared by the API's search and the web pages (search, "interact from your
server"); only the id-level lookup happens here, and whether the viewer may
read a post is decided by the caller. Fetching goes to the network and runs
in its own session before the caller writes anything.
"""

from __future__ import annotations

import re

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.roles import INSTANCE_ACTOR_USERNAME
from content.formatting import MentionRef
from content.materials.lookup import ensure_material
from content.mentions import actor_for_id, resolve_mention
from content.objects import fetch_object, object_by_ap_id, unless_tombstone
from storage.models import Actor, ContentObject

_URL_RE = re.compile(r"^https?://\S+$")


def is_listed(actor: Actor) -> bool:
    """Shown as an account at all (see the module docstring)."""
    return not actor.gone and actor.local_username != INSTANCE_ACTOR_USERNAME


def split_acct(acct: str) -> tuple[str, str | None]:
    """``user``, ``@user``, ``user@host`` or ``@user@host`` → (user, host or None)."""
    value = acct.strip()
    if value.startswith("acct:"):
        value = value[5:]
    value = value.lstrip("@")
    user, _, host = value.partition("@")
    return user, (host.lower() or None)


def is_url(query: str) -> bool:
    return bool(_URL_RE.match(query.strip()))


def looks_like_handle(query: str) -> bool:
    """``user@host`` or ``@user@host`` (a remote handle WebFinger can resolve)."""
    user, host = split_acct(query)
    return bool(user) and host is not None and " " not in query.strip()


async def resolve_account(node: NodeContext, query: str) -> Actor | None:
    """The account ``user@host`` names: ours, cached, or found by WebFinger now."""
    user, host = split_acct(query)
    if not user:
        return None
    async with node.sessions() as session:
        actor = await resolve_mention(session, node, MentionRef(user=user, host=host))
        await session.commit()
    return actor if actor is not None and is_listed(actor) else None


async def _actor_by_url(session: AsyncSession, url: str) -> Actor | None:
    return (
        await session.exec(select(Actor).where(or_(col(Actor.ap_id) == url, col(Actor.url) == url)))
    ).first()


async def _object_by_url(session: AsyncSession, url: str) -> ContentObject | None:
    found = await object_by_ap_id(session, url)
    if found is None:
        found = (await session.exec(select(ContentObject).where(ContentObject.url == url))).first()
    return found


async def resolve_url(node: NodeContext, url: str) -> Actor | ContentObject | None:
    """What ``url`` is: a post or an account, known already or fetched from its server.

    Only the id-level lookup happens here; whether the searcher may read a
    post is decided by the caller.
    """
    async with node.sessions() as session:
        obj = await _object_by_url(session, url)
        if obj is not None:
            return unless_tombstone(obj)
        actor = await _actor_by_url(session, url)
        if actor is not None:
            return actor if is_listed(actor) else None
        if node.config.is_local(url):
            return None
        fetched = await fetch_object(session, node, url)
        await session.commit()
    if fetched is not None:
        if fetched.type == "Article" and await ensure_material(node, fetched) is None:
            return None if fetched.extra.get("materialType") else fetched
        return fetched
    async with node.sessions() as session:
        remote = await actor_for_id(session, node, url)
        await session.commit()
        return remote if remote is not None and is_listed(remote) else None
