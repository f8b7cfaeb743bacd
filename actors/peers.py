"""Which servers keep a members-only community's posts for members: learned from NodeInfo.

The outbox delivers a members-only post only to hosts marked in
``peer_software`` (``storage/repos/peers.py``); this module fills that
table. A host's NodeInfo ``software.name`` decides: today only Staffroom
keeps such posts for members (it reads ``membersOnly`` and refuses other
readers); Mastodon, Fedify and every other server would store a post
addressed to a collection as a direct message or worse, so they get none.

The answer is cached per host for :data:`FRESH` (a failed lookup for
:data:`RETRY`) and refreshed when a member from that host joins, when our
member joins a community there, and before a members-only community
announces. The lookup goes through the node's guarded client (SSRF guard,
size limit) under :data:`TIMEOUT`, and the NodeInfo document must live on
the host it describes: otherwise any server could point at a Staffroom
node's NodeInfo and pass for one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from federation.client import FetchStatusError
from federation.errors import FederationError
from federation.nodeinfo import SCHEMA_20, SCHEMA_21
from storage.models import PeerSoftware
from storage.types import utcnow
from storage.upsert import insert_if_absent

log = logging.getLogger(__name__)

#: NodeInfo 2.2 (gathio serves only this one).
SCHEMA_22 = "http://nodeinfo.diaspora.software/ns/schema/2.2"
#: Software whose nodes keep members-only posts for members.
MEMBERS_ONLY_SOFTWARE = frozenset({"staffroom"})
FRESH = timedelta(days=1)
RETRY = timedelta(hours=1)
#: The longest a lookup may take (both requests together).
TIMEOUT = 10.0
#: Hosts asked at most per call of :func:`learn`, and at once.
MAX_PER_CALL = 32
CONCURRENCY = 8


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` (None when it has none)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


async def software_of(node: NodeContext, origin: str) -> str:
    """The NodeInfo ``software.name`` of ``origin`` ("" if it has none we can read).

    Raises :class:`federation.errors.FederationError` when the host cannot be
    reached (the caller keeps what it knew).
    """
    host = urlsplit(origin).netloc
    async with asyncio.timeout(TIMEOUT):
        try:
            index = await node.client.get_json(
                f"{origin}/.well-known/nodeinfo", accept="application/json"
            )
        except FetchStatusError as exc:
            if 400 <= exc.http_status < 500:
                return ""  # it answers, and has no NodeInfo: not one of ours
            raise
        hrefs = {
            str(link.get("rel")): str(link.get("href"))
            for link in _list(index.get("links"))
            if isinstance(link, dict) and isinstance(link.get("href"), str)
        }
        href = hrefs.get(SCHEMA_21) or hrefs.get(SCHEMA_22) or hrefs.get(SCHEMA_20)
        if href is None or urlsplit(href).netloc.lower() != host:
            return ""
        doc = await node.client.get_json(href, accept="application/json")
    software = doc.get("software")
    name = software.get("name") if isinstance(software, dict) else None
    return name.strip().lower()[:64] if isinstance(name, str) else ""


async def software_at(session: AsyncSession, node: NodeContext, url: str) -> str:
    """The software running at ``url``'s origin (learned now if unknown or stale; "" unknown)."""
    await learn(session, node, [url])
    origin = origin_of(url)
    if origin is None:
        return ""
    row = await session.get(PeerSoftware, urlsplit(origin).netloc)
    return row.software if row is not None else ""


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


async def _ask(node: NodeContext, origin: str, slots: asyncio.Semaphore) -> str | None:
    """``origin``'s software name, or None when it cannot be reached now."""
    async with slots:
        try:
            return await software_of(node, origin)
        except (FederationError, TimeoutError) as exc:
            log.info("NodeInfo of %s unreadable: %s", origin, exc)
            return None


async def learn(
    session: AsyncSession, node: NodeContext, urls: Iterable[str], *, limit: int = MAX_PER_CALL
) -> None:
    """Make sure we know, freshly, what runs at the origin of each of ``urls``.

    Hosts asked about recently are skipped, and our own host is never asked.
    At most ``limit`` hosts are asked per call, those never asked first, the
    rest concurrently (:data:`CONCURRENCY`), so a community with members on
    hundreds of servers does not hold its announce behind hundreds of
    lookups; an expired answer still counts until it is refreshed. In the
    inbox worker's offline batch the first lookup raises ``NetworkDeferred``
    (before any other starts), and the item is handled again alone, online.
    """
    origins: dict[str, str] = {}
    for url in urls:
        origin = origin_of(url)
        if origin is not None and not node.config.is_local(url):
            origins.setdefault(urlsplit(origin).netloc, origin)
    if not origins:
        return
    now = utcnow()
    known = {
        row.host: row
        for row in (
            await session.exec(
                select(PeerSoftware).where(col(PeerSoftware.host).in_(list(origins)))
            )
        ).all()
    }
    due = sorted(
        (host for host in origins if host not in known or known[host].expires_at <= now),
        key=lambda host: (host in known, known[host].expires_at if host in known else now, host),
    )[:limit]
    if not due:
        return
    slots = asyncio.Semaphore(CONCURRENCY)
    first = await _ask(node, origins[due[0]], slots)
    rest = await asyncio.gather(*(_ask(node, origins[host], slots) for host in due[1:]))
    for host, name in zip(due, [first, *rest], strict=True):
        row = known.get(host)
        if name is None and row is not None:  # keep what we knew, ask again later
            row.expires_at = utcnow() + RETRY
            session.add(row)
            continue
        if row is None:  # another worker may be learning the same host right now
            await insert_if_absent(session, PeerSoftware(host=host))
            row = await session.get(PeerSoftware, host)
            assert row is not None
        row.software = name or ""
        row.members_only = row.software in MEMBERS_ONLY_SOFTWARE
        row.checked_at = utcnow()
        row.expires_at = row.checked_at + (FRESH if name else RETRY)
        session.add(row)
    await session.flush()
