"""A material's rating: recounted from its reviews, and told to other nodes at most so often.

The rules, as pure functions (:func:`average`, :func:`next_due`), and the two
steps around them:

* :func:`recount` sets ``rating_count``/``rating_sum``/``rating_average`` of
  one material from its review rows (never incremented: a redelivered or
  replaced review cannot skew them) and, for our own material, marks that an
  ``Update`` is owed (``rating_update_due_at``).
* :func:`publish_due` (run by :mod:`.worker`) sends that ``Update`` once the
  time has come. Changes inside one window go out together: the first change
  sets the time, later ones keep it, so a burst of reviews costs one
  ``Update`` per window, and none waits longer than the window. The row is
  claimed by a conditional UPDATE on the time it read, so two worker
  processes never send the same figures twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.due_updates import claim, due_rows, hold, send_due
from content.materials.activities import publish_update
from content.materials.model import load_view
from storage.models import Actor, ContentObject, Material, MaterialReview
from storage.types import utcnow

MIN_RATING = 1
MAX_RATING = 5
BATCH = 20


class RatingError(ValueError):
    """A rating outside 1..5; the message is safe to show."""


def check_rating(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RatingError(f"a rating is a whole number from {MIN_RATING} to {MAX_RATING}")
    if not MIN_RATING <= value <= MAX_RATING:
        raise RatingError(f"a rating is a whole number from {MIN_RATING} to {MAX_RATING}")
    return value


def average(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def next_due(current: datetime | None, now: datetime, window: timedelta) -> datetime:
    """When the owed Update goes out: the first change in a window sets it, later ones keep it."""
    return current if current is not None else now + window


async def recount(session: AsyncSession, node: NodeContext, material: Material) -> None:
    """Set our ``material``'s figures from its reviews; a change owes an Update.

    Only ours: another node's material shows what its node last federated,
    counted from every review it has, where we hold only those that reached
    us (ours among them, sent to its node, which recounts and tells us).
    The row is taken first (:func:`content.due_updates.hold`), which also
    reads its figures and due time afresh into ``material``.
    """
    if not material.local:
        return
    await hold(session, Material.object_id, material.object_id)
    row = (
        await session.exec(
            select(func.count(), func.coalesce(func.sum(MaterialReview.rating), 0)).where(
                MaterialReview.material_id == material.object_id
            )
        )
    ).one()
    count, total = int(row[0]), int(row[1])
    if (count, total) == (material.rating_count, material.rating_sum):
        return
    material.rating_count, material.rating_sum = count, total
    material.rating_average = average(total, count)
    window = timedelta(seconds=node.config.materials.rating_debounce_seconds)
    material.rating_update_due_at = next_due(material.rating_update_due_at, utcnow(), window)
    session.add(material)
    await session.flush()


async def _reviewers(session: AsyncSession, material_id: int) -> list[str]:
    rows = await session.exec(
        select(Actor.ap_id)
        .join(MaterialReview, col(MaterialReview.reviewer_id) == Actor.id)
        .where(MaterialReview.material_id == material_id, col(Actor.local).is_(False))
    )
    return list(rows.all())


async def _publish_one(node: NodeContext, material_id: int, due: datetime) -> bool:
    async with node.sessions() as session:
        if not await claim(
            session, Material.object_id, Material.rating_update_due_at, material_id, due
        ):
            return False
        view = await load_view(session, material_id)
        obj = await session.get(ContentObject, material_id)
        author = await session.get(Actor, view.material.author_id) if view else None
        if view is None or obj is None or obj.deleted_at is not None or author is None:
            await session.commit()
            return False
        await publish_update(
            session,
            node,
            author,
            obj,
            view,
            extra_recipients=await _reviewers(session, material_id),
        )
        await session.commit()
        return True


async def publish_due(node: NodeContext, now: datetime) -> int:
    """Send the owed rating Updates whose time has come; returns how many went out."""
    due = due_rows(
        Material.object_id, Material.rating_update_due_at, now, col(Material.local), limit=BATCH
    )
    return await send_due(node, due, _publish_one, "rating update of material")
