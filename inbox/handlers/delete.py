"""Delete of an object (it becomes a tombstone) or of the sender itself (an account gone).

Objects: only their author may delete them. The row stays as a tombstone
(content, media and options cleared, ``deleted_at`` set) so a late Create or
Update of the same id cannot bring it back. Servers name the object as a bare
id (Lemmy), a Tombstone (Mastodon) or the object itself; all are the same.
A Delete of an object we never stored does nothing: Mastodon sends every
Delete to every server that might have the post, and keeping a row for each
would fill the table with strangers' tombstones.

Actors: an actor may delete only itself. Its objects become tombstones and
everything else stored of it goes (``content.account_data.purge``: likes,
boosts, follows, blocks, edits, media, notifications, the inbox items it
sent, its mirrored files); the row is kept as its tombstone, marked
``gone``, its profile cleared.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.remote import actor_by_ap_id
from content.account_data.files import stored_files
from content.account_data.purge import purge
from content.materials.files import remove_after_commit
from content.objects import object_by_ap_id, tombstone, tombstone_all_by
from inbox.handlers.common import Refused, object_id, sender
from storage.models import Actor, InboxItem


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    target_id = object_id(item)
    if target_id is None:
        return
    actor = await sender(session, node, item, allow_gone=True)
    if target_id == actor.ap_id:
        await _delete_actor(session, node, actor, item)
        return
    if actor.gone:
        raise Refused("the sender has deleted itself")
    obj = await object_by_ap_id(session, target_id)
    if obj is None:
        other = await actor_by_ap_id(session, target_id)
        if other is not None:
            raise Refused("an actor may only delete itself")
        return
    if obj.author_id != actor.id:
        raise Refused("only the author may delete an object")
    await tombstone(session, obj)


async def _delete_actor(
    session: AsyncSession, node: NodeContext, actor: Actor, item: InboxItem
) -> None:
    if actor.gone or actor.local:
        return  # a redelivery; our own accounts are closed by our own code
    names = await stored_files(session, node.config.media_dir, actor)
    await tombstone_all_by(session, actor)
    await purge(session, node, actor, keep_inbox_item=item.id)
    remove_after_commit(session, node.config, names)
