"""Direct conversations: the direct posts a person may read, grouped by thread.

Mastodon keeps a row per person and conversation; here the conversations are
derived from the posts themselves, so they can never disagree with who may
read what: a direct post belongs to its author and to the actors it is
addressed to, and nobody else ever sees it listed. The thread is the post's
``conversation`` (set for ours and by most servers), else its own id.

A conversation's id is the id of the earliest of its posts the person may
read, which stays put as the thread grows. Only what the person did to a
conversation is stored (:class:`storage.models.ConversationMark`): read up to
which post, and removed up to which post (a removed conversation comes back
when a newer message arrives, as in Mastodon).

Conversations are listed newest activity first and paged by the id of their
last post, as Mastodon pages them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Text, cast, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.mutes import muted_ids
from content.communities.access import members_only_posts
from content.visibility import may_read
from federation.constants import is_public
from storage.models import Actor, Block, ContentObject, ConversationMark, Visibility
from storage.types import utcnow

#: How many of a person's latest direct posts are grouped (a teacher's DMs, not an archive).
SCAN_LIMIT = 2000


@dataclass
class Conversation:
    id: int
    key: str
    last: ContentObject
    unread: bool
    participants: list[Actor]


def conversation_key(obj: ContentObject) -> str:
    return obj.conversation or obj.ap_id


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _addressed_to(viewer: Actor) -> ColumnElement[bool]:
    # Addressing is a JSON list; its text holds the id exactly as json.dumps writes it.
    needle = json.dumps(viewer.ap_id)
    return or_(
        cast(ContentObject.to, Text).contains(needle, autoescape=True),
        cast(ContentObject.cc, Text).contains(needle, autoescape=True),
    )


async def _readable_direct(session: AsyncSession, viewer: Actor) -> list[ContentObject]:
    rows = await session.exec(
        select(ContentObject)
        .where(
            ContentObject.visibility == Visibility.DIRECT,
            col(ContentObject.deleted_at).is_(None),
            or_(col(ContentObject.author_id) == viewer.id, _addressed_to(viewer)),
        )
        .order_by(col(ContentObject.id).desc())
        .limit(SCAN_LIMIT)
    )
    found = list(rows.all())
    # A members-only community's posts are stored direct but are no private
    # conversation: the client API shows them as the community's "private" posts.
    community_posts = await members_only_posts(session, found)
    found = [o for o in found if o.id not in community_posts]
    authors = {a.id: a for a in await _actors(session, {o.author_id for o in found})}
    hidden = await _hidden_authors(session, viewer, {o.author_id for o in found})
    readable = []
    for obj in found:
        author = authors.get(obj.author_id)
        if author is None or author.id in hidden:
            continue
        if await may_read(session, obj, author, viewer):
            readable.append(obj)
    return readable


async def _actors(session: AsyncSession, ids: set[int]) -> list[Actor]:
    if not ids:
        return []
    return list((await session.exec(select(Actor).where(col(Actor.id).in_(list(ids))))).all())


async def _hidden_authors(session: AsyncSession, viewer: Actor, ids: set[int]) -> set[int]:
    """Authors ``viewer`` blocks or mutes (their messages are not listed)."""
    others = ids - {viewer.id}
    if not others:
        return set()
    blocked = await session.exec(
        select(Block.target_id).where(
            Block.actor_id == viewer.id, col(Block.target_id).in_(list(others))
        )
    )
    return set(blocked.all()) | set(await muted_ids(session, viewer, others))


async def _participants(session: AsyncSession, obj: ContentObject, viewer: Actor) -> list[Actor]:
    """Everyone in the thread's last post but the viewer: its author and addressees."""
    ids = [a for a in [*obj.to, *obj.cc] if isinstance(a, str) and not is_public(a)]
    rows = await session.exec(select(Actor).where(col(Actor.ap_id).in_(ids)))
    people = {a.id: a for a in rows.all()}
    author = await session.get(Actor, obj.author_id)
    if author is not None:
        people[author.id] = author
    people.pop(viewer.id, None)
    return [a for a in people.values() if not a.gone]


async def _marks(
    session: AsyncSession, viewer: Actor, keys: set[str]
) -> dict[str, ConversationMark]:
    hashes = {_key_hash(k): k for k in keys}
    if not hashes:
        return {}
    rows = await session.exec(
        select(ConversationMark).where(
            ConversationMark.owner_id == viewer.id,
            col(ConversationMark.key_hash).in_(list(hashes)),
        )
    )
    return {hashes[m.key_hash]: m for m in rows.all()}


async def conversations(
    session: AsyncSession,
    viewer: Actor,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> list[Conversation]:
    """``viewer``'s conversations, newest activity first, paged by their last post's id."""
    threads: dict[str, list[ContentObject]] = {}
    for obj in await _readable_direct(session, viewer):
        threads.setdefault(conversation_key(obj), []).append(obj)  # newest first
    marks = await _marks(session, viewer, set(threads))
    listed: list[tuple[str, list[ContentObject]]] = []
    for key, posts in threads.items():
        last_id = posts[0].id or 0
        mark = marks.get(key)
        if mark is not None and mark.hidden_up_to is not None and last_id <= mark.hidden_up_to:
            continue
        if max_id is not None and last_id >= max_id:
            continue
        if since_id is not None and last_id <= since_id:
            continue
        if min_id is not None and last_id <= min_id:
            continue
        listed.append((key, posts))
    listed.sort(key=lambda item: item[1][0].id or 0, reverse=min_id is None)
    page = listed[: max(1, limit)]
    if min_id is not None:
        page.reverse()
    return [await _conversation(session, viewer, key, posts, marks.get(key)) for key, posts in page]


async def _conversation(
    session: AsyncSession,
    viewer: Actor,
    key: str,
    posts: list[ContentObject],
    mark: ConversationMark | None,
) -> Conversation:
    last = posts[0]
    assert last.id is not None and posts[-1].id is not None
    read_up_to = mark.read_up_to if mark is not None and mark.read_up_to is not None else 0
    unread = last.author_id != viewer.id and last.id > read_up_to
    people = await _participants(session, last, viewer)
    return Conversation(posts[-1].id, key, last, unread, people)


async def conversation_by_id(
    session: AsyncSession, viewer: Actor, conversation_id: int
) -> Conversation | None:
    """``viewer``'s conversation with this id (removed ones included); None if none."""
    threads: dict[str, list[ContentObject]] = {}
    for obj in await _readable_direct(session, viewer):
        threads.setdefault(conversation_key(obj), []).append(obj)
    for key, posts in threads.items():
        if posts[-1].id == conversation_id:
            marks = await _marks(session, viewer, {key})
            return await _conversation(session, viewer, key, posts, marks.get(key))
    return None


async def conversation_for(
    session: AsyncSession, viewer: Actor, obj: ContentObject
) -> Conversation | None:
    """The conversation ``obj`` (a direct post ``viewer`` may read) belongs to, for ``viewer``."""
    key = conversation_key(obj)
    posts = [o for o in await _readable_direct(session, viewer) if conversation_key(o) == key]
    if not posts:
        return None
    marks = await _marks(session, viewer, {key})
    return await _conversation(session, viewer, key, posts, marks.get(key))


async def _mark(session: AsyncSession, viewer: Actor, key: str) -> ConversationMark:
    assert viewer.id is not None
    found = await _marks(session, viewer, {key})
    return found.get(key) or ConversationMark(owner_id=viewer.id, key_hash=_key_hash(key))


async def mark_read(session: AsyncSession, viewer: Actor, conversation: Conversation) -> None:
    """Everything in the conversation so far is read."""
    mark = await _mark(session, viewer, conversation.key)
    mark.read_up_to = conversation.last.id
    mark.updated_at = utcnow()
    session.add(mark)
    await session.flush()
    conversation.unread = False


async def remove(session: AsyncSession, viewer: Actor, conversation: Conversation) -> None:
    """Drop the conversation from ``viewer``'s list until a newer message arrives."""
    mark = await _mark(session, viewer, conversation.key)
    mark.hidden_up_to = conversation.last.id
    mark.read_up_to = conversation.last.id
    mark.updated_at = utcnow()
    session.add(mark)
    await session.flush()
