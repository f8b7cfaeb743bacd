"""Communities (FEP-1b12) in the inbox: joins, posts to ours, remote communities' Announces.

Each entry wraps the handler its type had before and hands on whatever is
not a community's:

* ``Follow`` of one of our communities is a join (:mod:`content.communities.membership`):
  accepted, held for a moderator, or rejected (banned, not invited); a flood
  of requests from one host is refused. Any other Follow goes to the
  handler before.
* ``Create`` (and our own posts, through the local table): once the handler
  before has stored the post, every community of ours it is posted to
  checks it and announces it; a refusal (not a member, banned, an
  announcement channel, a locked thread) refuses the whole activity, so
  nothing of it is kept.
* ``Announce`` by a remote ``Group``: the community's post is fetched,
  recorded as the community's and shown as its boost; its ``Delete`` of a
  post it announced is obeyed (:mod:`content.communities.remote`). Any
  other Announce goes to the handler before.
* ``Delete`` of a post one of our communities announced is announced to its
  members too, so nodes that never followed the author drop it as well.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import follow_by_activity
from content.communities import remote
from content.communities.manage import CommunityError, community_of
from content.communities.membership import decide_join, receive_join
from content.communities.posting import announce_delete, communities_holding, receive_post
from content.notifications import notify_follow
from content.objects import object_by_ap_id
from inbox.handlers.common import Refused, is_local_item, local_actor, object_id, sender
from inbox.pipeline import VOUCHED_KEY
from storage.models import Actor, ActorType, FollowState, InboxItem
from storage.repos import by_id

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, NodeContext, InboxItem], Awaitable[None]]


def follow(before: Handler) -> Handler:
    async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        target = await local_actor(session, object_id(item))
        settings = await community_of(session, target)
        if target is None or settings is None:
            await before(session, node, item)
            return
        joiner = await sender(session, node, item)
        try:
            row = await receive_join(session, node, target, settings, joiner, item.activity_id)
        except CommunityError as exc:
            raise Refused(str(exc)) from exc
        await notify_follow(session, row)

    return handle


def follow_local(before: Handler) -> Handler:
    """A colleague's join: :func:`actors.graph.follow` wrote the request; answer it."""

    async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        row = await follow_by_activity(session, item.activity_id)
        target = await session.get(Actor, row.followee_id) if row is not None else None
        settings = await community_of(session, target)
        if row is None or target is None or settings is None:
            await before(session, node, item)
            return
        if row.state == FollowState.PENDING:
            await decide_join(session, node, target, settings, row)
            await notify_follow(session, row)

    return handle


def create(before: Handler) -> Handler:
    async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        await before(session, node, item)
        obj = await object_by_ap_id(session, object_id(item) or "")
        if obj is None or obj.deleted_at is not None:
            return
        author = await by_id.get(session, Actor, obj.author_id)
        if author is None or author.ap_id != item.actor_ap_id:
            return  # a Create of someone else's post stores nothing of theirs as ours
        try:
            await receive_post(session, node, item.body, obj, author, item.activity_id)
        except CommunityError as exc:
            if not is_local_item(item):
                raise Refused(str(exc)) from exc
            # Our own member's post is stored already; the community just does not take it.
            log.info("community refused local post %s: %s", obj.ap_id, exc)

    return handle


def announce(before: Handler) -> Handler:
    async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        booster = await sender(session, node, item)
        if booster.local or booster.type != ActorType.GROUP:
            await before(session, node, item)
            return
        try:
            vouched = item.body.get(VOUCHED_KEY)
            await remote.receive(
                session,
                node,
                booster,
                item.body,
                item.activity_id,
                vouched=vouched if isinstance(vouched, dict) else None,
            )
        except remote.AnnounceRefused as exc:
            raise Refused(str(exc)) from exc

    return handle


def delete(before: Handler) -> Handler:
    async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
        await before(session, node, item)
        obj = await object_by_ap_id(session, object_id(item) or "")
        if obj is None or obj.deleted_at is None or obj.local:
            return
        for community, settings in await communities_holding(session, obj):
            await announce_delete(
                session, node, community, settings, obj, item.actor_ap_id, item.activity_id
            )

    return handle
