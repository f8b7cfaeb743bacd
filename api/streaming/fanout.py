"""Which connected viewer gets which stream event, and what it looks like to them.

One :class:`Cycle` per poll: it loads each post, actor, follow list and
block/mute list once, and renders each payload once per viewer, however many
events and subscriptions share them.

Who gets what (the same rules as the timelines, so a stream never shows
what the REST API would hide):

* ``user``: new posts and edits by the viewer and by those they follow, and
  boosts by them, when the viewer may read the post
  (:func:`content.visibility.may_read`); their own notifications (if the
  token may read notifications); deletions of what they could have seen.
* ``user:notification``: their notifications only.
* ``list``: like ``user``, for the members of one of the viewer's lists.
* ``public`` (``:local``, ``:remote``, ``:media``): public posts only, never
  unlisted, followers-only or direct ones; no boosts.
* ``hashtag`` (``:local``): public posts carrying the tag.
* ``direct``: a ``conversation`` event for each new direct post the viewer
  may read, and deletions of those.

Nothing from or about someone the viewer blocks, is blocked by, or mutes.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.mutes import muted_ids
from api.entities.conversation import conversation_entity
from api.entities.notification import notification_entity
from api.entities.status import StatusItem, status_entity
from api.streaming.streams import HASHTAG_STREAMS, PUBLIC_STREAMS, Frame, Subscriber, Subscription
from content.conversations import conversation_for
from content.visibility import may_read
from storage.models import (
    Actor,
    Announce,
    Block,
    ContentObject,
    Follow,
    FollowState,
    ListMember,
    Notification,
    StreamEvent,
    UserList,
    Visibility,
)

#: Streams of posts by chosen people: the home feed and a list's feed.
HOME_STREAMS = frozenset({"user", "list"})


def _dumps(entity: Any) -> str:
    return json.dumps(entity, separators=(",", ":"), ensure_ascii=False)


class Cycle:
    """Rows and renderings shared by one poll's events (one session, one pass)."""

    def __init__(self, session: AsyncSession, node: NodeContext) -> None:
        self.session = session
        self.node = node
        self._actors: dict[int, Actor | None] = {}
        self._objects: dict[int, ContentObject | None] = {}
        self._follows: dict[int, set[int]] = {}
        self._hidden: dict[int, set[int]] = {}
        self._lists: dict[tuple[int, str], set[int]] = {}
        self._readable: dict[tuple[int, int], bool] = {}
        self._rendered: dict[tuple[str, int, int], str | None] = {}

    async def actor(self, actor_id: int | None) -> Actor | None:
        if actor_id is None:
            return None
        if actor_id not in self._actors:
            self._actors[actor_id] = await self.session.get(Actor, actor_id)
        return self._actors[actor_id]

    async def obj(self, object_id: int | None) -> ContentObject | None:
        if object_id is None:
            return None
        if object_id not in self._objects:
            self._objects[object_id] = await self.session.get(ContentObject, object_id)
        return self._objects[object_id]

    async def follows(self, viewer: Actor) -> set[int]:
        """Who ``viewer`` follows (accepted), and ``viewer`` itself."""
        assert viewer.id is not None
        if viewer.id not in self._follows:
            rows = await self.session.exec(
                select(Follow.followee_id).where(
                    Follow.follower_id == viewer.id, Follow.state == FollowState.ACCEPTED
                )
            )
            self._follows[viewer.id] = {*rows.all(), viewer.id}
        return self._follows[viewer.id]

    async def hidden(self, viewer: Actor) -> set[int]:
        """Actors ``viewer`` blocks, is blocked by, or mutes."""
        assert viewer.id is not None
        if viewer.id not in self._hidden:
            rows = await self.session.exec(
                select(Block.actor_id, Block.target_id).where(
                    or_(Block.actor_id == viewer.id, Block.target_id == viewer.id)
                )
            )
            found = {a if t == viewer.id else t for a, t in rows.all()}
            found |= set(await muted_ids(self.session, viewer))
            self._hidden[viewer.id] = found
        return self._hidden[viewer.id]

    async def shown_in(self, viewer: Actor, sub: Subscription) -> set[int]:
        """Whose posts a home-like stream shows: followed accounts, or a list's members."""
        if sub.stream != "list":
            return await self.follows(viewer)
        assert viewer.id is not None and sub.param is not None
        key = (viewer.id, sub.param)
        if key not in self._lists:
            rows = await self.session.exec(
                select(ListMember.target_id)
                .join(UserList, col(UserList.id) == ListMember.list_id)
                .where(UserList.id == int(sub.param), UserList.actor_id == viewer.id)
            )
            self._lists[key] = set(rows.all())
        return self._lists[key]

    async def readable(self, obj: ContentObject, viewer: Actor) -> bool:
        assert obj.id is not None and viewer.id is not None
        key = (obj.id, viewer.id)
        if key not in self._readable:
            author = await self.actor(obj.author_id)
            self._readable[key] = author is not None and await may_read(
                self.session, obj, author, viewer
            )
        return self._readable[key]

    async def status(self, item: StatusItem, viewer: Actor) -> str | None:
        assert item.id is not None and viewer.id is not None
        key = (type(item).__name__, item.id, viewer.id)
        if key not in self._rendered:
            try:
                entity = await status_entity(self.session, self.node, item, viewer)
            except LookupError:
                self._rendered[key] = None
            else:
                self._rendered[key] = _dumps(entity)
        return self._rendered[key]


def _public_match(sub: Subscription, obj: ContentObject) -> bool:
    """Does a public (or hashtag) stream show this post at all?"""
    if obj.visibility != Visibility.PUBLIC:
        return False
    parts = sub.stream.split(":")
    if "local" in parts and not obj.local:
        return False
    if "remote" in parts and obj.local:
        return False
    if "media" in parts and not obj.attachments:
        return False
    if sub.stream in HASHTAG_STREAMS:
        assert sub.param is not None
        names = {
            str(tag.get("name", "")).lstrip("#").lower()
            for tag in obj.tags
            if isinstance(tag, dict) and tag.get("type") == "Hashtag"
        }
        return sub.param.lower() in names
    return True


async def _post_event(
    cycle: Cycle, event: StreamEvent, viewer: Actor, sub: Subscription
) -> tuple[str, str] | None:
    """(event, payload) of a new or edited post (not a boost) for one subscription."""
    obj = await cycle.obj(event.object_id)
    if obj is None or obj.deleted_at is not None or obj.author_id in await cycle.hidden(viewer):
        return None
    if sub.stream in HOME_STREAMS:
        if obj.author_id not in await cycle.shown_in(viewer, sub):
            return None
    elif sub.stream == "direct":
        if obj.visibility != Visibility.DIRECT or event.event != "update":
            return None
        if not await cycle.readable(obj, viewer):
            return None
        found = await conversation_for(cycle.session, viewer, obj)
        if found is None:
            return None
        entity = await conversation_entity(cycle.session, cycle.node, found, viewer)
        return "conversation", _dumps(entity)
    elif sub.stream in PUBLIC_STREAMS or sub.stream in HASHTAG_STREAMS:
        if not _public_match(sub, obj):
            return None
    else:
        return None
    if not await cycle.readable(obj, viewer):
        return None
    payload = await cycle.status(obj, viewer)
    return (event.event, payload) if payload is not None else None


async def _boost_event(
    cycle: Cycle, event: StreamEvent, viewer: Actor, sub: Subscription
) -> tuple[str, str] | None:
    """A boost reaches the home (or list) stream of the booster's followers only."""
    if sub.stream not in HOME_STREAMS or event.event != "update" or event.announce_id is None:
        return None
    hidden = await cycle.hidden(viewer)
    if event.actor_id not in await cycle.shown_in(viewer, sub) or event.actor_id in hidden:
        return None
    obj = await cycle.obj(event.object_id)
    if obj is None or obj.deleted_at is not None or obj.author_id in hidden:
        return None
    boost = await cycle.session.get(Announce, event.announce_id)
    if boost is None or not await cycle.readable(obj, viewer):
        return None
    payload = await cycle.status(boost, viewer)
    return ("update", payload) if payload is not None else None


async def _delete_event(
    cycle: Cycle, event: StreamEvent, viewer: Actor, sub: Subscription
) -> tuple[str, str] | None:
    """A deletion goes wherever the post (or boost) could have been shown."""
    if event.announce_id is not None:
        if sub.stream in HOME_STREAMS and event.actor_id in await cycle.shown_in(viewer, sub):
            return "delete", str(event.announce_id)
        return None
    obj = await cycle.obj(event.object_id)  # a tombstone keeps its addressing
    if obj is None:
        return None
    if sub.stream in HOME_STREAMS:
        shown = obj.author_id in await cycle.shown_in(viewer, sub)
    elif sub.stream == "direct":
        shown = obj.visibility == Visibility.DIRECT
    elif sub.stream in PUBLIC_STREAMS or sub.stream in HASHTAG_STREAMS:
        # A tombstone has lost its tags; a public post's id is no secret anyway.
        shown = obj.visibility == Visibility.PUBLIC and _public_match(
            Subscription(sub.stream.replace("hashtag", "public")), obj
        )
    else:
        shown = False
    if not shown or not await cycle.readable(obj, viewer):
        return None
    return "delete", str(obj.id)


async def _notification_event(
    cycle: Cycle, event: StreamEvent, viewer: Actor, subscriber: Subscriber, sub: Subscription
) -> tuple[str, str] | None:
    if event.recipient_id != viewer.id or sub.stream not in ("user", "user:notification"):
        return None
    if not subscriber.notifications or event.notification_id is None:
        return None
    row = await cycle.session.get(Notification, event.notification_id)
    if row is None or row.dismissed:
        return None
    entity = await notification_entity(cycle.session, cycle.node, row, viewer)
    return ("notification", _dumps(entity)) if entity is not None else None


async def frames_for(
    cycle: Cycle, event: StreamEvent, subscriber: Subscriber, viewer: Actor
) -> list[Frame]:
    """The frames ``subscriber`` gets for ``event``: one per matching subscription."""
    frames = []
    for sub in sorted(subscriber.subscriptions, key=lambda s: (s.stream, s.param or "")):
        if event.event == "notification":
            found = await _notification_event(cycle, event, viewer, subscriber, sub)
        elif sub.stream == "user:notification":
            found = None
        elif event.event == "delete":
            found = await _delete_event(cycle, event, viewer, sub)
        elif event.announce_id is not None:
            found = await _boost_event(cycle, event, viewer, sub)
        else:
            found = await _post_event(cycle, event, viewer, sub)
        if found is not None:
            frames.append(Frame(sub.names(), found[0], found[1]))
    return frames


async def load_events(session: AsyncSession, ids: list[int]) -> list[StreamEvent]:
    rows = await session.exec(
        select(StreamEvent).where(col(StreamEvent.id).in_(ids)).order_by(col(StreamEvent.id))
    )
    return list(rows.all())
