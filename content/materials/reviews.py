"""Reviews: a rating from 1 to 5 and a text, one per reviewer per material.

A review travels as a ``Note`` replying to the material (``inReplyTo``) with
our ``rating`` term, the way BookWyrm federates its reviews, so it is also a
reply in the material's thread everywhere (Mastodon shows it as one). A
Mastodon reply has no ``rating``: it stays a comment.

Local reviews are posted through :mod:`content.posts` (addressing, the
``Create``/``Update``/``Delete``); the review row beside the Note is what the
material's rating is recounted from (:mod:`.ratings`). Reviews arriving from
other nodes go through :func:`receive` with the same rules: the reviewer
must be able to see the material, the rating must be 1..5, and a second
review of the same material by the same account is refused (an ``Update``
of the first replaces it).
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.edits import save_source
from content.materials.ratings import check_rating, recount
from content.posts import create_post, delete_post, update_post
from content.visibility import is_open, may_read
from storage.ids import new_id
from storage.models import Actor, ContentObject, Material, MaterialReview, Visibility
from storage.types import utcnow

MAX_TEXT = 10_000
STARS = ("", "★☆☆☆☆", "★★☆☆☆", "★★★☆☆", "★★★★☆", "★★★★★")


class ReviewError(ValueError):
    """A review the node refuses; the message is safe to show."""


class ReviewNotFound(LookupError):
    """No such material (or one the reviewer may not see): answered like a missing one."""


def review_text(rating: int, text: str) -> str:
    """What Mastodon readers see: the stars, then the text."""
    return f"{STARS[rating]} {rating}/5\n\n{text}".strip()


async def review_of(
    session: AsyncSession, material_id: int, reviewer: Actor
) -> MaterialReview | None:
    return (
        await session.exec(
            select(MaterialReview).where(
                MaterialReview.material_id == material_id,
                MaterialReview.reviewer_id == reviewer.id,
            )
        )
    ).first()


async def visible_material(
    session: AsyncSession, material_id: int, viewer: Actor | None
) -> tuple[Material, ContentObject, Actor]:
    """The material, its object and author if ``viewer`` may see it; else ReviewNotFound."""
    material = await session.get(Material, material_id)
    obj = await session.get(ContentObject, material_id) if material else None
    author = await session.get(Actor, material.author_id) if material else None
    if (
        material is None
        or obj is None
        or author is None
        or obj.deleted_at is not None
        or not await may_read(session, obj, author, viewer)
    ):
        raise ReviewNotFound(str(material_id))
    return material, obj, author


def _check_text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise ReviewError(f"the review is longer than {MAX_TEXT} characters")
    return text.strip()


async def write_review(
    session: AsyncSession,
    node: NodeContext,
    reviewer: Actor,
    material_id: int,
    *,
    rating: object,
    text: str,
) -> MaterialReview:
    """``reviewer`` (local) reviews a material they can see; publishes ``Create(Note)``."""
    material, obj, _author = await visible_material(session, material_id, reviewer)
    value = check_rating(rating)
    body = _check_text(text)
    if await review_of(session, material_id, reviewer) is not None:
        raise ReviewError("you have already reviewed this material; edit your review instead")
    note = await create_post(
        session,
        node,
        reviewer,
        content_text_or_html=review_text(value, body),
        visibility=Visibility.PUBLIC if is_open(obj) else Visibility.DIRECT,
        in_reply_to=obj.ap_id,
        language=material.language,
        extra={"rating": value},
    )
    await save_source(session, note, body)
    return await _store(session, node, material, reviewer, value, note)


async def _store(
    session: AsyncSession,
    node: NodeContext,
    material: Material,
    reviewer: Actor,
    value: int,
    note: ContentObject,
) -> MaterialReview:
    """The review row beside its Note (ours or another node's), and the recount."""
    assert reviewer.id is not None
    row = MaterialReview(
        id=new_id(),
        material_id=material.object_id,
        reviewer_id=reviewer.id,
        rating=value,
        text_html=note.content,
        ap_id=note.ap_id,
        note_id=note.id,
    )
    session.add(row)
    await session.flush()
    await recount(session, node, material)
    return row


async def edit_review(
    session: AsyncSession,
    node: NodeContext,
    reviewer: Actor,
    material_id: int,
    *,
    rating: object,
    text: str,
) -> MaterialReview:
    """Replace ``reviewer``'s review (its Note is edited: ``Update``)."""
    material, _obj, _author = await visible_material(session, material_id, reviewer)
    row = await review_of(session, material_id, reviewer)
    if row is None or row.note_id is None:
        raise ReviewNotFound(str(material_id))
    value, body = check_rating(rating), _check_text(text)
    note = await session.get(ContentObject, row.note_id)
    if note is None or note.deleted_at is not None:
        raise ReviewNotFound(str(material_id))
    await update_post(
        session,
        node,
        reviewer,
        note,
        content_text_or_html=review_text(value, body),
        extra={**note.extra, "rating": value},
    )
    await save_source(session, note, body)
    row.rating, row.text_html, row.updated_at = value, note.content, utcnow()
    session.add(row)
    await session.flush()
    await recount(session, node, material)
    return row


async def delete_review(
    session: AsyncSession, node: NodeContext, reviewer: Actor, material_id: int
) -> None:
    material, _obj, _author = await visible_material(session, material_id, reviewer)
    row = await review_of(session, material_id, reviewer)
    if row is None:
        raise ReviewNotFound(str(material_id))
    note = await session.get(ContentObject, row.note_id) if row.note_id else None
    await session.delete(row)
    await session.flush()
    if note is not None and note.deleted_at is None:
        await delete_post(session, node, reviewer, note)
    await recount(session, node, material)


# -- from other nodes --------------------------------------------------------------------


async def receive(
    session: AsyncSession,
    node: NodeContext,
    reviewer: Actor,
    material: Material,
    note: ContentObject,
    rating: object,
) -> MaterialReview:
    """A review Note from another node, already stored as ``note``. The checks
    (visibility, 1..5, one per reviewer) are the caller's to turn into refusals."""
    value = check_rating(rating)
    assert note.id is not None
    return await _store(session, node, material, reviewer, value, note)


async def receive_edit(
    session: AsyncSession,
    node: NodeContext,
    row: MaterialReview,
    note: ContentObject,
    rating: object,
) -> None:
    row.rating, row.text_html, row.updated_at = check_rating(rating), note.content, utcnow()
    session.add(row)
    await session.flush()
    material = await session.get(Material, row.material_id)
    if material is not None:
        await recount(session, node, material)


async def receive_delete(session: AsyncSession, node: NodeContext, row: MaterialReview) -> None:
    material = await session.get(Material, row.material_id)
    await session.delete(row)
    await session.flush()
    if material is not None:
        await recount(session, node, material)


async def review_by_ap_id(session: AsyncSession, ap_id: str) -> MaterialReview | None:
    return (await session.exec(select(MaterialReview).where(MaterialReview.ap_id == ap_id))).first()


async def list_reviews(
    session: AsyncSession, material_id: int, limit: int = 200
) -> list[tuple[MaterialReview, Actor]]:
    """A material's reviews with their reviewers, newest first (the caller checked visibility)."""
    rows = (
        await session.exec(
            select(MaterialReview, Actor)
            .join(Actor, col(Actor.id) == MaterialReview.reviewer_id)
            .where(MaterialReview.material_id == material_id)
            .order_by(col(MaterialReview.id).desc())
            .limit(limit)
        )
    ).all()
    return [(review, reviewer) for review, reviewer in rows]
