"""Material entities for a page of rows: everything they need loaded once per page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.material import material_entities
from content.materials.model import MaterialView, load_views
from storage.models import Actor, Material, MaterialReview
from storage.repos.by_id import actors_by_id, objects_by_id


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
    objects = {i: o for i, o in (await objects_by_id(session, ids)).items() if o.deleted_at is None}
    authors = await actors_by_id(session, {v.material.author_id for v in views})
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
