"""Finding a local object or activity from the URL it is served at, and who may read an activity.

Our ids are ``/users/NAME/statuses/ID`` and ``/users/NAME/activities/ID``;
the id is rebuilt from the author's own name and looked up as the ``ap_id``
(not as the row id, which not every publisher makes equal to ID). A path
under another actor's name is therefore never a second address for the same
thing.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from actors.local import local_actor_by_name
from content.visibility import may_see
from federation.vocab import id_of
from outbox.audience import addressed_ids
from storage.models import Activity, Actor, ContentObject


async def find_object(
    session: AsyncSession, node: NodeConfig, username: str, object_id: int
) -> tuple[ContentObject, Actor] | None:
    """Our post ``object_id`` by ``username`` (tombstones included), with its author."""
    author = await local_actor_by_name(session, username)
    if author is None:
        return None
    ap_id = node.object_url(author.username, object_id)
    obj = (await session.exec(select(ContentObject).where(ContentObject.ap_id == ap_id))).first()
    if obj is None or not obj.local or obj.author_id != author.id:
        return None
    return obj, author


async def find_activity(
    session: AsyncSession, node: NodeConfig, username: str, activity_id: int
) -> tuple[Activity, Actor] | None:
    actor = await local_actor_by_name(session, username)
    if actor is None:
        return None
    ap_id = node.activity_url(actor.username, activity_id)
    activity = (await session.exec(select(Activity).where(Activity.ap_id == ap_id))).first()
    if activity is None or activity.actor_id != actor.id:
        return None
    return activity, actor


async def may_read_activity(
    session: AsyncSession, activity: Activity, author: Actor, viewer: Actor | None
) -> bool:
    """A non-public activity is for whom it (or its embedded object) addressed.

    The actor a Follow (or Block) names counts as addressed: Mastodon sends
    those with no ``to`` at all, yet the followee must be able to fetch them.
    """
    if activity.public:
        return True
    addressed = addressed_ids(activity.body)
    target = id_of(activity.body.get("object"))
    if activity.type in ("Follow", "Block") and target:
        addressed.append(target)
    return await may_see(session, author=author, addressed=addressed, viewer=viewer)
