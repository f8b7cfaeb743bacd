"""Everything stored about one account, removed but its tombstones.

Used twice: by the erasure of one of our accounts (:mod:`.erasure`) and by
the inbox when another node's account deletes itself
(``inbox.handlers.delete``), so that on both nodes nothing of the account is
left but its tombstone.

Rows are found from the schema, not from a list kept by hand: every table
with a foreign key to ``actors`` loses the account's rows, and every table
with a foreign key to ``objects`` loses the rows of the account's posts
(their edits, sources, media, likes, boosts, bookmarks, notifications,
materials, events, poll votes...), so a table added later is purged without
anyone remembering to. Kept, on purpose:

* ``actors`` (the tombstone: the id, the name reserved, the key that signs
  the ``Delete`` and its retries; display name, bio, fields and images are
  cleared) and ``objects`` (each post a tombstone: its text and media gone,
  its id answering 410);
* ``reports``, ``moderation_actions``, ``actor_moderation``: the school's
  safeguarding record of what happened and what moderators did;
* ``account_jobs``: the erasure job itself (its row reports progress).

Figures kept on others' rows are recounted, never left counting what went:
likes and boosts of others' posts, and the rating of every material the
account reviewed (from the reviews left; a material of ours then owes its
debounced ``Update`` with the new figures, as after any review removed).

Rows without a foreign key are purged by hand: ``stream_events``, the
account's stored inbox items (their bodies hold its posts), other
activities that embedded one of its posts (cut back to the id), and its
materials' search entries (on SQLite the FTS5 index is then optimized, or
their stems would stay readable in its segments).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, delete, or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.interactions import remove_all_by
from content.materials import search
from content.materials.ratings import recount
from storage.models import (
    Activity,
    Actor,
    ContentObject,
    InboxItem,
    InboxState,
    Material,
    MaterialReview,
    StreamEvent,
)
from storage.types import utcnow

KEEP = frozenset(
    {"actors", "objects", "account_jobs", "reports", "moderation_actions", "actor_moderation"}
)
TERMINAL = (InboxState.PROCESSED, InboxState.REJECTED, InboxState.FAILED)


def _tables() -> list[Table]:
    return [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEEP]


async def purge(
    session: AsyncSession,
    node: NodeContext,
    actor: Actor,
    *,
    keep_inbox_item: int | None = None,
) -> int:
    """Remove every row of ``actor`` but the kept ones; how many statements deleted rows.

    Its posts should be tombstones already (the caller's step); the counts it
    changed on others' posts (likes, boosts, ratings) are recounted.
    """
    assert actor.id is not None
    await remove_all_by(session, actor)
    own_objects = select(ContentObject.id).where(ContentObject.author_id == actor.id)
    reviewed = await _reviewed(session, actor, own_objects)
    materials = await session.exec(
        select(Material.object_id).where(
            or_(col(Material.author_id) == actor.id, col(Material.object_id).in_(own_objects))
        )
    )
    removed = list(materials.all())
    for material_id in removed:
        await search.remove(session, material_id)
    if removed:
        await search.forget_removed(session)
    await _cut_back_carried(session, actor)
    touched = 0
    for table in _tables():
        for fk in table.foreign_keys:
            target = fk.column.table.name
            column: Any = fk.parent
            if target == "actors":
                condition = column == actor.id
            elif target == "objects":
                condition = column.in_(own_objects.scalar_subquery())
            else:
                continue
            result: Any = await session.exec(delete(table).where(condition))
            touched += bool(result.rowcount)
    await _unlinked_rows(session, actor, own_objects, keep_inbox_item)
    await _recount_ratings(session, node, reviewed)
    _scrub(actor)
    session.add(actor)
    await session.flush()
    return touched


async def _reviewed(session: AsyncSession, actor: Actor, own_objects: Any) -> list[int]:
    """The materials the account reviewed (by its row or by its review's Note)."""
    rows = await session.exec(
        select(MaterialReview.material_id)
        .where(
            or_(
                col(MaterialReview.reviewer_id) == actor.id,
                col(MaterialReview.note_id).in_(own_objects.scalar_subquery()),
            )
        )
        .distinct()
    )
    return list(rows.all())


async def _recount_ratings(
    session: AsyncSession, node: NodeContext, material_ids: list[int]
) -> None:
    """Each material still here (not one of the account's own, gone with it) is
    recounted from the reviews left."""
    if not material_ids:
        return
    left = await session.exec(select(Material).where(col(Material.object_id).in_(material_ids)))
    for material in left.all():
        await recount(session, node, material)


async def _unlinked_rows(
    session: AsyncSession, actor: Actor, own_objects: Any, keep_inbox_item: int | None
) -> None:
    await session.exec(
        delete(StreamEvent).where(
            or_(
                col(StreamEvent.actor_id) == actor.id,
                col(StreamEvent.recipient_id) == actor.id,
                col(StreamEvent.object_id).in_(own_objects.scalar_subquery()),
            )
        )
    )
    items = delete(InboxItem).where(
        col(InboxItem.actor_ap_id) == actor.ap_id, col(InboxItem.state).in_(TERMINAL)
    )
    if keep_inbox_item is not None:
        items = items.where(col(InboxItem.id) != keep_inbox_item)
    await session.exec(items)


async def _cut_back_carried(session: AsyncSession, actor: Actor) -> None:
    """Another account's activity that embedded one of the posts or activities (a
    community's Announce of its Create) keeps only the id of what it carried."""
    objects = select(ContentObject.ap_id).where(ContentObject.author_id == actor.id)
    activities = select(Activity.ap_id).where(Activity.actor_id == actor.id)
    carried = await session.exec(
        select(Activity).where(
            Activity.actor_id != actor.id,
            or_(
                col(Activity.object_ap_id).in_(objects.scalar_subquery()),
                col(Activity.object_ap_id).in_(activities.scalar_subquery()),
            ),
        )
    )
    for activity in carried.all():
        inner = activity.body.get("object")
        if isinstance(inner, dict):
            activity.body = {**activity.body, "object": inner.get("id")}
            session.add(activity)


def _scrub(actor: Actor) -> None:
    """What stays of the account: its ids and keys, nothing it wrote or chose to show."""
    actor.display_name, actor.summary, actor.fields = "", "", []
    actor.icon_url = actor.image_url = None
    actor.discoverable = False
    actor.gone = True
    actor.updated_at = utcnow()
