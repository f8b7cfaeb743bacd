"""``/api/v1/staffroom/collections``: curate collections of materials and follow others'.

* ``POST`` (``name``, ``description``, ``visibility``: public or unlisted) → a collection;
  ``GET`` → the caller's collections and those they follow; ``GET /:id``;
  ``PUT /:id`` (``name``, ``description``); ``DELETE /:id``.
* ``POST /:id/items`` (``material_id``) adds a material (``Add``);
  ``DELETE /:id/items/:material_id`` removes it (``Remove``).
* ``POST /:id/follow`` and ``/:id/unfollow``: follow a collection (a remote
  one with ``Follow``, answered by its node).
* ``GET /resolve?uri=URL``: a remote collection, fetched from its node.

Reading needs ``read:materials`` (optional for public collections),
changing ``write:materials``. Items come as material entities, the ones
the caller may see.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api.auth import optional_scope, require_user
from api.entities.account import account_entities
from api.entities.material import collection_entity
from api.errors import ApiError
from api.materials.materials import READ, WRITE
from api.materials.render import render_materials
from api.params import read_params
from api.routing import api_routes
from api.status_support import NOT_FOUND, node_of, path_id, refused
from content.materials import collection_follows, collections, remote_collections
from content.materials.collections import CollectionError
from content.materials.library import visible_to
from content.materials.lookup import material_for
from content.objects import fetch_object
from content.resolve import is_url
from federation.errors import FederationError
from storage.models import (
    Actor,
    ContentObject,
    Material,
    MaterialCollection,
    MaterialCollectionFollow,
)

#: Items of a remote collection fetched when it is first looked up (the rest on demand).
MAX_FETCHED = 20


async def _entity(
    session: AsyncSession, node: NodeContext, row: MaterialCollection, viewer: Actor | None
) -> dict[str, Any]:
    assert row.id is not None
    owner = await session.get(Actor, row.owner_id)
    assert owner is not None
    items = await collections.items_of(session, row.id)
    materials = list(
        (
            await session.exec(
                select(Material)
                .join(ContentObject, col(ContentObject.id) == Material.object_id)
                .where(col(ContentObject.ap_id).in_(items), visible_to(viewer))
            )
        ).all()
    )
    order = {ap_id: n for n, ap_id in enumerate(items)}
    objects = {
        o.id: o.ap_id
        for o in (
            await session.exec(
                select(ContentObject).where(
                    col(ContentObject.id).in_([m.object_id for m in materials])
                )
            )
        ).all()
    }
    materials.sort(key=lambda m: order.get(objects.get(m.object_id, ""), 0))
    entities = await render_materials(session, node, materials, viewer)
    following = (
        viewer is not None
        and await collection_follows.follow_of(session, row.id, viewer.id) is not None
    )
    account = (await account_entities(session, node, [owner]))[0]
    return collection_entity(row, account, entities, following)


async def _collection(session: AsyncSession, request: Request) -> MaterialCollection:
    row = await session.get(MaterialCollection, path_id(request))
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return row


def _own(row: MaterialCollection, actor: Actor) -> None:
    if not row.local or row.owner_id != actor.id:
        raise ApiError(403, "This action is not allowed")


async def create(request: Request) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        try:
            row = await collections.create(
                session,
                node,
                user.actor,
                name=params.get("name") or "",
                description=params.get("description") or "",
                visibility=(params.get("visibility") or "public").strip().lower(),
            )
        except CollectionError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await _entity(session, node, row, user.actor))


async def index(request: Request) -> Response:
    user = await require_user(request, READ)
    node = node_of(request)
    async with node.sessions() as session:
        followed = select(MaterialCollectionFollow.collection_id).where(
            MaterialCollectionFollow.follower_id == user.actor.id
        )
        rows = (
            await session.exec(
                select(MaterialCollection)
                .where(
                    or_(
                        col(MaterialCollection.owner_id) == user.actor.id,
                        col(MaterialCollection.id).in_(followed),
                    )
                )
                .order_by(col(MaterialCollection.id).desc())
                .limit(200)
            )
        ).all()
        return JSONResponse([await _entity(session, node, r, user.actor) for r in rows])


async def show(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        row = await _collection(session, request)
        return JSONResponse(await _entity(session, node, row, viewer))


async def update(request: Request) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        row = await _collection(session, request)
        _own(row, user.actor)
        try:
            await collections.edit(
                session, row, name=params.get("name"), description=params.get("description")
            )
        except CollectionError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await _entity(session, node, row, user.actor))


async def destroy(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        row = await _collection(session, request)
        _own(row, user.actor)
        await session.delete(row)
        await session.commit()
    return JSONResponse({})


async def _material_ap_id(session: AsyncSession, raw: str | None, viewer: Actor) -> str:
    if not raw or not raw.isdigit():
        raise ApiError(422, "Validation failed: material_id must be a material's id")
    material = await session.get(Material, int(raw))
    obj = await session.get(ContentObject, int(raw)) if material else None
    if material is None or obj is None or obj.deleted_at is not None:
        raise ApiError(404, NOT_FOUND)
    visible = await session.exec(
        select(Material.object_id).where(
            Material.object_id == material.object_id, visible_to(viewer)
        )
    )
    if visible.first() is None:
        raise ApiError(404, NOT_FOUND)
    return obj.ap_id


async def add_item(request: Request) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        row = await _collection(session, request)
        _own(row, user.actor)
        item = await _material_ap_id(session, params.get("material_id"), user.actor)
        try:
            await collections.add_item(session, node, user.actor, row, item)
        except CollectionError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await _entity(session, node, row, user.actor))


async def remove_item(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        row = await _collection(session, request)
        _own(row, user.actor)
        obj = await session.get(ContentObject, path_id(request, "material_id"))
        if obj is not None:
            await collections.remove_item(session, node, user.actor, row, obj.ap_id)
        await session.commit()
        return JSONResponse(await _entity(session, node, row, user.actor))


async def follow(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        row = await _collection(session, request)
        if row.owner_id != user.actor.id:
            await collection_follows.follow(session, node, user.actor, row)
        await session.commit()
        return JSONResponse(await _entity(session, node, row, user.actor))


async def unfollow(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        row = await _collection(session, request)
        await collection_follows.unfollow(session, node, user.actor, row)
        await session.commit()
        return JSONResponse(await _entity(session, node, row, user.actor))


async def resolve(request: Request) -> Response:
    """A remote collection by its id: fetched from its node (network first, then one write)."""
    user = await require_user(request, READ)
    uri = ((await read_params(request)).get("uri") or "").strip()
    if not is_url(uri):
        raise ApiError(422, "Validation failed: uri must be a collection's URL")
    node = node_of(request)
    try:
        doc = await node.remote.fetch_document(uri)
    except FederationError:
        raise ApiError(404, NOT_FOUND) from None
    found = remote_collections.remote_fields(doc, uri)
    if found is None:
        raise ApiError(404, NOT_FOUND)
    ap_id, owner_id, name, items = found
    try:
        owner = await node.remote.get(owner_id)
    except FederationError:
        raise ApiError(404, NOT_FOUND) from None
    description = str(doc.get("summary") or "")
    for item in items[:MAX_FETCHED]:
        async with node.sessions() as session:
            fetched = await fetch_object(session, node, item, limit=1)
            if fetched is not None:
                await material_for(session, node, fetched)
            await session.commit()
    async with node.sessions() as session:
        row = await remote_collections.store_remote(session, owner, ap_id, name, description, items)
        await session.commit()
        return JSONResponse(await _entity(session, node, row, user.actor))


routes = api_routes(
    ("/api/v1/staffroom/collections", create, ["POST"]),
    ("/api/v1/staffroom/collections", index, ["GET"]),
    ("/api/v1/staffroom/collections/resolve", resolve, ["GET"]),
    ("/api/v1/staffroom/collections/{id}", show, ["GET"]),
    ("/api/v1/staffroom/collections/{id}", update, ["PUT", "PATCH"]),
    ("/api/v1/staffroom/collections/{id}", destroy, ["DELETE"]),
    ("/api/v1/staffroom/collections/{id}/items", add_item, ["POST"]),
    ("/api/v1/staffroom/collections/{id}/items/{material_id}", remove_item, ["DELETE"]),
    ("/api/v1/staffroom/collections/{id}/follow", follow, ["POST"]),
    ("/api/v1/staffroom/collections/{id}/unfollow", unfollow, ["POST"]),
)
