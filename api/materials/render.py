"""Material entities for a page of rows: everything they need loaded once per page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.material import material_entities
from content.materials.model import MaterialView, load_views
from storage.models import Actor, ContentObject, Material, MaterialReview


async def render_materials(
    session: AsyncSession, node: NodeContext, rows: Sequence[Material], viewer: Actor | None
) -> list[dict[str, Any]]:
    views = await load_views(session, rows)
    return await render_views(session, node, views, viewer)


async def render_views(
    session: AsyncSession, node: NodeContext, views: Sequence[MaterialView], viewer: Actor | None
) -> list[dict[str, Any]]:
    ids = [v.material.object_id for v in views]
    if not ids:
        return []
    objects = {
        o.id: o
        for o in (
            await session.exec(select(ContentObject).where(col(ContentObject.id).in_(ids)))
        ).all()
        if o.id is not None and o.deleted_at is None
    }
    author_ids = {v.material.author_id for v in views}
    authors = {
        a.id: a
        for a in (await session.exec(select(Actor).where(col(Actor.id).in_(author_ids)))).all()
        if a.id is not None
    }
    own: dict[int, MaterialReview] = {}
    if viewer is not None and viewer.id is not None:
        reviews = await session.exec(
            select(MaterialReview).where(
                MaterialReview.reviewer_id == viewer.id, col(MaterialReview.material_id).in_(ids)
            )
        )
        own = {r.material_id: r for r in reviews.all()}
    return await material_entities(session, node, views, objects, authors, own)


async def render_one(
    session: AsyncSession, node: NodeContext, view: MaterialView, viewer: Actor | None
) -> dict[str, Any]:
    found = await render_views(session, node, [view], viewer)
    if not found:
        raise LookupError("the material cannot be rendered (its object or author is gone)")
    return found[0]
