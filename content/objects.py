"""Stored objects: insert, edit, tombstone, count, and fetch remote ones (with their reply chain).

The rules every path shares:

* **Tombstones are final.** A deleted object keeps its row with
  ``deleted_at`` set; a later Create or Update of that id (a redelivery, an
  out-of-order retry) finds the tombstone and changes nothing.
* **Visibility is derived once**, from the addressing, when the object is
  first stored (:func:`content.visibility.visibility_from_addressing`); an
  edit never widens or narrows who may read it.
* **Counts are recounted, not incremented.** ``replies_count``,
  ``likes_count`` and ``announces_count`` are set from the rows they count in
  one statement, so a redelivered or concurrent activity cannot skew them
  (on PostgreSQL after taking the counted row: :func:`_lock_counted`).
* **Network first, writes second.** :func:`fetch_object` fetches the whole
  chain (documents and unknown authors) before its first write: on SQLite a
  write transaction held open across a fetch would block every other writer,
  including the inbox itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.as2 import InvalidActorError, remote_actor_fields
from actors.context import NodeContext
from actors.remote import actor_by_ap_id, upsert_remote_actor
from content import known_objects
from content.as2 import OBJECT_TYPES, InvalidObjectError, attributed_to, object_from_as2
from content.visibility import visibility_from_addressing
from federation.client import FetchStatusError
from federation.errors import FederationError
from federation.origin import same_origin
from federation.vocab import id_of, type_of
from storage.dialects import locked
from storage.flushes import flush
from storage.ids import new_id
from storage.models import Actor, Announce, ContentObject, Like
from storage.rows import new_row
from storage.types import utcnow

log = logging.getLogger(__name__)

#: How many documents one lookup may fetch: the object and its missing ancestors.
REPLY_FETCH_DEPTH = 5

# What an Update may change; addressing, visibility and the reply link stay as first seen.
EDITABLE = ("name", "summary", "content", "sensitive", "language", "tags", "attachments", "extra")


async def object_by_ap_id(session: AsyncSession, ap_id: str) -> ContentObject | None:
    sure, found = known_objects.recall(session, ap_id)
    if sure:
        return found
    return (await session.exec(select(ContentObject).where(ContentObject.ap_id == ap_id))).first()


def unless_tombstone(obj: ContentObject) -> ContentObject | None:
    """``obj``, or None when it is a tombstone: a deleted post is not handed out again."""
    return None if obj.deleted_at is not None else obj


async def author_of(session: AsyncSession, obj: ContentObject) -> Actor | None:
    return await session.get(Actor, obj.author_id)


# -- counts --------------------------------------------------------------------


async def _lock_counted(session: AsyncSession, where: Any) -> None:
    """On PostgreSQL, take the counted object's row before counting.

    A recount is one UPDATE, but under READ COMMITTED its count is read from
    the snapshot the statement started with: two transactions that each add
    a Like to one post (two inbox lanes, two worker processes, a local like
    beside a received one) would each count only their own, and the one
    that commits last would set the count one short. Once the row is ours,
    the UPDATE's snapshot (taken after the lock was granted) holds every
    interaction committed before us. SQLite's writers take turns anyway.
    """
    await session.exec(locked(session, select(ContentObject.id).where(where)))


async def recount_replies(session: AsyncSession, parent_ap_id: str) -> None:
    """``replies_count`` of the object ``parent_ap_id`` = its live replies we know of."""
    await _lock_counted(session, col(ContentObject.ap_id) == parent_ap_id)
    reply = aliased(ContentObject)
    live = (
        select(func.count())
        .select_from(reply)
        .where(reply.in_reply_to == parent_ap_id, col(reply.deleted_at).is_(None))
        .scalar_subquery()
    )
    await session.exec(
        update(ContentObject)
        .where(col(ContentObject.ap_id) == parent_ap_id)
        .values(replies_count=live)
        .execution_options(synchronize_session=False)
    )
    await _reload(session, ["replies_count"], ap_id=parent_ap_id)


async def recount_interactions(session: AsyncSession, object_id: int) -> None:
    """``likes_count`` and ``announces_count`` of one object, from the Like and Announce rows."""
    await _lock_counted(session, col(ContentObject.id) == object_id)
    likes = select(func.count()).select_from(Like).where(Like.object_id == object_id)
    announces = select(func.count()).select_from(Announce).where(Announce.object_id == object_id)
    await session.exec(
        update(ContentObject)
        .where(col(ContentObject.id) == object_id)
        .values(likes_count=likes.scalar_subquery(), announces_count=announces.scalar_subquery())
        .execution_options(synchronize_session=False)
    )
    await _reload(session, ["likes_count", "announces_count"], id=object_id)


async def _reload(session: AsyncSession, names: list[str], **key: Any) -> None:
    """Bring a row already loaded in ``session`` up to date after a bulk UPDATE."""
    ((name, value),) = key.items()
    for loaded in list(session.identity_map.values()):
        # Read the loaded value without triggering a load (no lazy IO in async code).
        if isinstance(loaded, ContentObject) and loaded.__dict__.get(name) == value:
            await session.refresh(loaded, names)


# -- store, edit, tombstone -------------------------------------------------------


async def store_object(
    session: AsyncSession, node: NodeContext, fields: dict[str, Any], author: Actor
) -> ContentObject | None:
    """Insert an object from :func:`content.as2.object_from_as2` fields.

    Returns the row, or the existing row unchanged when the id is already
    stored (redelivery, or a second activity carrying the same object), or
    None when the id is a tombstone.
    """
    existing = await object_by_ap_id(session, fields["ap_id"])
    if existing is not None:
        return unless_tombstone(existing)
    return await insert_object(session, node, fields, author)


async def without_rejected_media(
    node: NodeContext, author: Actor, fields: dict[str, Any]
) -> dict[str, Any]:
    """``fields`` without attachments when the admin rejects media of the author's
    domain (``reject_media``): asked wherever a remote post is stored or edited,
    so neither a Create nor a later Update brings the files in."""
    if (
        not author.local
        and fields.get("attachments")
        and (await node.gate.rules()).rejects_media(author.domain)
    ):
        return {**fields, "attachments": []}
    return fields


async def insert_object(
    session: AsyncSession, node: NodeContext, fields: dict[str, Any], author: Actor
) -> ContentObject:
    """:func:`store_object` without looking first: a known id is a unique violation.

    A domain whose media the admin rejects (``reject_media``) has its
    attachments dropped here, where every remote post is stored.
    """
    assert author.id is not None
    fields = await without_rejected_media(node, author, fields)
    # Built straight into its fields (:mod:`storage.rows`): the inbox makes one per post.
    obj = new_row(
        ContentObject,
        {
            "id": new_id(),
            **fields,
            "author_id": author.id,
            "local": node.config.is_local(fields["ap_id"]),
            "visibility": visibility_from_addressing(
                fields["to"], fields["cc"], author.followers_url
            ),
            "fetched_at": utcnow(),
        },
    )
    session.add(obj)
    if obj.in_reply_to:
        await session.flush()
        await recount_replies(session, obj.in_reply_to)
    else:
        await flush(session)  # an inbox batch writes its new objects together
    return obj


def is_stale_edit(obj: ContentObject, fields: dict[str, Any]) -> bool:
    """An edit older than the version we hold (edits may arrive out of order)."""
    incoming = fields.get("updated_at")
    return incoming is not None and obj.updated_at is not None and incoming <= obj.updated_at


async def update_object(session: AsyncSession, obj: ContentObject, fields: dict[str, Any]) -> bool:
    """Apply an edit of a remote object; False when nothing changed.

    Local objects are edited only by their author through :mod:`content.posts`,
    tombstones never come back, and an edit older than ours is ignored.
    """
    if obj.local or obj.deleted_at is not None or is_stale_edit(obj, fields):
        return False
    changed = False
    for name in EDITABLE:
        if name in fields and getattr(obj, name) != fields[name]:
            setattr(obj, name, fields[name])
            changed = True
    if changed or fields.get("updated_at"):
        obj.updated_at = fields.get("updated_at") or utcnow()
        obj.fetched_at = utcnow()
        session.add(obj)
        await session.flush()
    return changed


async def tombstone(session: AsyncSession, obj: ContentObject) -> bool:
    """Make ``obj`` a tombstone: its text and media gone, the row kept; False if it was one."""
    if obj.deleted_at is not None:
        return False
    obj.deleted_at = utcnow()
    obj.content, obj.summary, obj.name = "", None, None
    obj.tags, obj.attachments, obj.extra = [], [], {}
    session.add(obj)
    await session.flush()
    if obj.in_reply_to:
        await recount_replies(session, obj.in_reply_to)
    return True


# -- remote objects -----------------------------------------------------------------


@dataclass
class _Fetched:
    fields: dict[str, Any]
    author_ap_id: str
    author_fields: dict[str, Any] | None  # None: the author is already stored


async def fetch_object(
    session: AsyncSession, node: NodeContext, ap_id: str, *, limit: int = REPLY_FETCH_DEPTH
) -> ContentObject | None:
    """The object ``ap_id``: stored, or fetched from its origin now with up to
    ``limit`` documents of its reply chain (the object first, then missing
    ancestors). None when it cannot be had (gone, private, not an object we
    store, an id that its own server does not vouch for) or is a tombstone.

    Makes network requests: call it before ``session`` has written anything.
    """
    existing = await object_by_ap_id(session, ap_id)
    if existing is not None:
        return unless_tombstone(existing)
    if node.config.is_local(ap_id):
        return None
    chain = await _fetch_chain(session, node, ap_id, limit)
    stored: ContentObject | None = None
    for fetched in reversed(chain):  # ancestors first, so each reply finds its parent
        stored = await _store_fetched(session, node, fetched)
    return stored


async def _fetch_chain(
    session: AsyncSession, node: NodeContext, ap_id: str, limit: int
) -> list[_Fetched]:
    chain: list[_Fetched] = []
    url: str | None = ap_id
    seen: set[str] = set()
    while url is not None and len(chain) < limit and url not in seen:
        seen.add(url)
        fetched = await _fetch_one(session, node, url)
        if fetched is None:
            break
        chain.append(fetched)
        parent = fetched.fields["in_reply_to"]
        known = parent is None or node.config.is_local(parent)
        if not known and await object_by_ap_id(session, parent) is not None:
            known = True
        url = None if known else parent
    return chain


async def _fetch_one(session: AsyncSession, node: NodeContext, url: str) -> _Fetched | None:
    """One object document and, if unknown, its author's; None if either is unusable."""
    try:
        doc = await node.remote.fetch_document(url)
        inner = id_of(doc.get("object"))
        if type_of(doc) == "Create" and inner is not None:
            # An activity id where an object was expected (a community's Announce of
            # a Create, cut back to its id): the object is what was announced.
            url = inner
            doc = await node.remote.fetch_document(url)
    except FederationError as exc:
        log.info("cannot fetch object %s: %s", url, exc.reason)
        return None
    doc_id = doc.get("id")
    author = attributed_to(doc)
    if (
        not isinstance(doc_id, str)
        or type_of(doc) not in OBJECT_TYPES
        or not same_origin(doc_id, url)
        or author is None
        or not same_origin(author, doc_id)
    ):
        log.info("refusing fetched object %s: not an object its origin vouches for", url)
        return None
    try:
        fields = object_from_as2(doc)
    except InvalidObjectError:
        return None
    author_fields = None
    if await actor_by_ap_id(session, author) is None:
        try:
            author_fields = remote_actor_fields(await node.remote.fetch_document(author), author)
        except (FederationError, InvalidActorError) as exc:
            log.info("cannot fetch author %s of %s: %s", author, url, exc)
            return None
    return _Fetched(fields, author, author_fields)


async def _store_fetched(
    session: AsyncSession, node: NodeContext, fetched: _Fetched
) -> ContentObject | None:
    if fetched.author_fields is not None:
        author: Actor | None = await upsert_remote_actor(session, fetched.author_fields)
    else:
        author = await actor_by_ap_id(session, fetched.author_ap_id)
    if author is None:
        return None
    try:
        # The post may reach our inbox while we fetch it (someone searches for
        # a post of an account we follow): the inbox worker's row then wins,
        # and only this savepoint, not the caller's transaction, is undone.
        # The insert is the savepoint's first statement: on SQLite a read
        # first would pin a snapshot that a concurrent commit makes stale,
        # and the write after it would fail at once ("database is locked").
        async with session.begin_nested():
            return await insert_object(session, node, fetched.fields, author)
    except IntegrityError:
        existing = await object_by_ap_id(session, fetched.fields["ap_id"])
        if existing is None:
            raise
        return unless_tombstone(existing)


async def refresh_object(
    session: AsyncSession, node: NodeContext, obj: ContentObject
) -> ContentObject:
    """Refetch a remote object from its origin and apply what it says now.

    A 404 or 410 from its own server makes it a tombstone. Network first:
    call it before ``session`` has written anything.
    """
    if obj.local or obj.deleted_at is not None:
        return obj
    try:
        doc = await node.remote.fetch_document(obj.ap_id)
    except FetchStatusError as exc:
        if exc.http_status in (404, 410):
            await tombstone(session, obj)
        return obj
    except FederationError as exc:
        log.info("cannot refresh %s: %s", obj.ap_id, exc.reason)
        return obj
    if doc.get("id") != obj.ap_id or type_of(doc) not in OBJECT_TYPES:
        return obj
    author = await author_of(session, obj)
    if author is None or attributed_to(doc) != author.ap_id:
        return obj
    fields = await without_rejected_media(node, author, object_from_as2(doc))
    await update_object(session, obj, fields)
    return obj


async def tombstone_all_by(session: AsyncSession, author: Actor) -> int:
    """Tombstone every live object of an actor that deleted itself; returns how many."""
    rows = await session.exec(
        select(ContentObject).where(
            ContentObject.author_id == author.id, col(ContentObject.deleted_at).is_(None)
        )
    )
    count = 0
    for obj in list(rows.all()):
        count += await tombstone(session, obj)
    return count
