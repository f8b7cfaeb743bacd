"""The JSON of ``/api/v1/staffroom/materials``: ``Material``, ``MaterialReview``, ``Collection``.

Field names are a contract with scripts and other tools (see README and
FEDERATION.md): a material has at least ``id`` (its status id), ``uri`` (its
ActivityPub id), ``url``, ``title``, ``files`` (each ``url``, ``name``,
``media_type``, ``size``) and ``rating`` (``average``, ``count``). Codes stay
codes (``type: "lesson_plan"``, ``license: "CC-BY-4.0"``, ``subjects:
["biology"]``, ``grades: ["6"]``); ``labels`` gives their English and
Russian names. A file's ``url`` is where to download it: ours (counted) for
our files and mirrored ones, its node's for the rest. ``community`` is
null until communities land.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.account import account_entities
from api.entities.status import visibility_name
from api.entities.time import iso_ms, iso_ms_or_none
from content.materials.model import MaterialView
from content.materials.vocabulary import GRADES, LICENSES, MATERIAL_TYPES, SUBJECTS
from storage.models import (
    Actor,
    ContentObject,
    MaterialCollection,
    MaterialFile,
    MaterialReview,
)


def _labels(view: MaterialView) -> dict[str, Any]:
    material = view.material
    out: dict[str, Any] = {
        "subjects": {c: SUBJECTS[c].as_dict() for c in view.subjects if c in SUBJECTS},
        "grades": {c: GRADES[c].as_dict() for c in view.grades if c in GRADES},
    }
    if material.material_type in MATERIAL_TYPES:
        out["type"] = MATERIAL_TYPES[material.material_type].as_dict()
    if material.license in LICENSES:
        out["license"] = LICENSES[material.license].as_dict()
    return out


def file_entity(row: MaterialFile) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "url": row.url,
        "name": row.name,
        "media_type": row.media_type,
        "size": row.size,
        "digest": row.digest,
        "mirrored": row.mirror_state == "mirrored",
    }


def _file_url(node: NodeContext, row: MaterialFile) -> str:
    """Ours when we hold a copy (an upload, or a mirror), else its node's."""
    if row.file_name and row.access_key:
        return node.config.material_file_url(row.access_key, row.name)
    return row.url


async def material_entities(
    session: AsyncSession,
    node: NodeContext,
    views: Sequence[MaterialView],
    objects: dict[int, ContentObject],
    authors: dict[int, Actor],
    own_reviews: dict[int, MaterialReview] | None = None,
) -> list[dict[str, Any]]:
    accounts = {
        int(e["id"]): e
        for e in await account_entities(
            session, node, list({a.id: a for a in authors.values()}.values())
        )
    }
    out = []
    for view in views:
        material = view.material
        obj = objects.get(material.object_id)
        if obj is None or material.author_id not in accounts:
            continue
        files = []
        for row in view.documents:
            entity = file_entity(row)
            entity["url"] = _file_url(node, row)
            files.append(entity)
        review = (own_reviews or {}).get(material.object_id)
        out.append(
            {
                "id": str(material.object_id),
                "uri": obj.ap_id,
                "url": obj.url or obj.ap_id,
                "title": material.title,
                "summary": material.summary,
                "description": material.description_html,
                "files": files,
                "links": [{"url": f.url, "name": f.name} for f in view.links],
                "subjects": list(view.subjects),
                "grades": list(view.grades),
                "type": material.material_type,
                "license": material.license,
                "language": material.language,
                "tags": list(material.tags),
                "labels": _labels(view),
                "visibility": visibility_name(material.visibility),
                "preview_url": material.preview_url,
                "rating": {
                    "average": material.rating_average,
                    "count": material.rating_count,
                },
                "downloads": material.downloads_count,
                "node": material.domain,
                "local": material.local,
                "community": None,
                "account": accounts[material.author_id],
                "created_at": iso_ms(material.published),
                "edited_at": iso_ms_or_none(material.updated_at),
                "own_review": None if review is None else _review_core(review),
            }
        )
    return out


def _review_core(row: MaterialReview) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "uri": row.ap_id,
        "material_id": str(row.material_id),
        "rating": row.rating,
        "text": row.text_html,
        "created_at": iso_ms(row.created_at),
        "updated_at": iso_ms(row.updated_at),
    }


async def review_entities(
    session: AsyncSession, node: NodeContext, rows: Sequence[MaterialReview], reviewers: list[Actor]
) -> list[dict[str, Any]]:
    accounts = {int(e["id"]): e for e in await account_entities(session, node, reviewers)}
    return [
        {**_review_core(row), "account": accounts[row.reviewer_id]}
        for row in rows
        if row.reviewer_id in accounts
    ]


def collection_entity(
    row: MaterialCollection, owner: dict[str, Any], items: list[dict[str, Any]], following: bool
) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "uri": row.ap_id,
        "name": row.name,
        "description": row.description,
        "visibility": row.visibility,
        "local": row.local,
        "account": owner,
        "items": items,
        "following": following,
        "created_at": iso_ms(row.created_at),
        "updated_at": iso_ms(row.updated_at),
    }
