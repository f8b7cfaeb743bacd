"""Accept of a Follow: the followed actor agrees; our follower's request becomes a follow.

Servers name the Follow differently: Mastodon and Fedify embed it whole (the
pipeline cuts a Follow with our id back to that id), Mitra sends only its id,
and some embed a Follow without an id or with an id we never minted; then the
embedded ``actor``/``object`` pair finds it. Only the followed actor may answer.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import find_follow, follow_by_activity, receive_answer
from actors.remote import actor_by_ap_id
from content.communities.remote import refresh_member_count
from federation.vocab import id_of
from inbox.handlers.common import Refused, embedded, object_id, sender
from storage.models import Actor, Follow, InboxItem


async def answered_follow(session: AsyncSession, item: InboxItem, answerer: Actor) -> Follow | None:
    """The Follow an Accept or Reject answers, checked to be addressed to ``answerer``."""
    follow = None
    if (follow_id := object_id(item)) is not None:
        follow = await follow_by_activity(session, follow_id)
    doc = embedded(item)
    if follow is None and doc is not None:
        follower = await actor_by_ap_id(session, id_of(doc.get("actor")) or "")
        followee = id_of(doc.get("object"))
        if follower is not None and followee == answerer.ap_id:
            follow = await find_follow(session, follower.id, answerer.id)
    if follow is not None and follow.followee_id != answerer.id:
        raise Refused("only the followed actor may answer a Follow")
    return follow


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    answerer = await sender(session, node, item)
    follow = await answered_follow(session, item, answerer)
    if follow is not None:
        await receive_answer(session, follow, accepted=True)
        # A community we joined counts one more member: its own figure, read anew.
        await refresh_member_count(session, node, answerer)
