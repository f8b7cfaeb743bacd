"""``/api/v1/staffroom/materials``: publish, list, search, read, edit and delete materials.

* ``POST`` (multipart, scope ``write:materials``): ``title``, ``description``
  (Markdown), ``files[]``, ``links[]``, ``subjects[]``, ``grades[]``,
  ``type``, ``language``, ``license``, ``tags[]``, ``visibility`` → the
  material. A body over the limit (every file at its largest) is ``413``
  before it is read; a refused file, code or text is ``422 Validation
  failed: <reason>`` and nothing is kept.
* ``GET`` (token optional, ``read:materials``): the library with ``q``,
  ``subject``, ``grade``, ``type``, ``license``, ``language``, ``node``,
  ``sort`` (``newest``, ``rating``, ``downloads``), paged with ``Link``.
  A ``q`` that is a URL (a material's ``uri``) is resolved, fetching a
  remote one, for a signed-in viewer.
* ``GET /:id``, ``PUT /:id`` (fields as for ``POST``, plus ``remove_files[]``),
  ``DELETE /:id``; ``GET /vocabulary``: every code with its labels.

A material the viewer may not see is ``404 Record not found``, exactly as
one that does not exist.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import optional_scope, require_user
from api.errors import ApiError
from api.materials import community, forms
from api.materials.render import render_materials, render_one, render_views
from api.pagination import link_header, offset_link_header, page_params
from api.params import read_params
from api.routing import api_routes
from api.status_support import NOT_FOUND, node_of, path_id, refused
from content.materials import library
from content.materials.files import staged_files
from content.materials.model import MaterialView, load_view
from content.materials.publishing import (
    MaterialError,
    create_material,
    delete_material,
    update_material,
)
from content.materials.reviews import ReviewNotFound, visible_material
from content.materials.routes import send_file
from content.materials.vocabulary import labels
from content.resolve import is_url, resolve_url
from storage.models import Actor, ContentObject, Material

READ, WRITE = "read:materials", "write:materials"
FORM_SLACK = 1024 * 1024


def _body_limit(request: Request) -> int:
    limits = node_of(request).config.materials
    return limits.max_file_bytes * limits.max_files + FORM_SLACK


async def visible_view(
    session: AsyncSession, material_id: int, viewer: Actor | None
) -> MaterialView:
    """The material if ``viewer`` may see it; 404 (as for a missing one) otherwise."""
    try:
        await visible_material(session, material_id, viewer)
    except ReviewNotFound:
        raise ApiError(404, NOT_FOUND) from None
    view = await load_view(session, material_id)
    if view is None:
        raise ApiError(404, NOT_FOUND)
    return view


async def create(request: Request) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request, max_bytes=_body_limit(request))
    try:
        draft = await forms.draft(params)
    finally:
        await params.aclose()
    node = node_of(request)
    async with node.sessions() as session, staged_files(node.config) as stage:
        draft = await community.posted_to(session, draft, forms.community_param(params), user.actor)
        try:
            view = await create_material(session, node, user.actor, draft, stage)
        except MaterialError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await render_one(session, node, view, user.actor))


async def _resolved(request: Request, query: str, viewer: Actor) -> list[Material]:
    found = await resolve_url(node_of(request), query)
    if not isinstance(found, ContentObject) or found.id is None:
        return []
    async with node_of(request).sessions() as session:
        try:
            await visible_material(session, found.id, viewer)
        except ReviewNotFound:
            return []
        material = await session.get(Material, found.id)
    return [material] if material is not None else []


async def index(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    params = await read_params(request)
    query = forms.library_query(params)
    page = page_params(params)
    node = node_of(request)
    async with node.sessions() as session:
        query = await community.filtered(session, query, forms.community_param(params))
    if query.q and is_url(query.q):
        rows = await _resolved(request, query.q, viewer) if viewer is not None else []
        async with node.sessions() as session:
            return JSONResponse(await render_materials(session, node, rows, viewer))
    async with node.sessions() as session:
        rows = await library.find(session, viewer, query, page, offset=page.offset)
        entities = await render_materials(session, node, rows, viewer)
    if query.sort == "newest":
        headers = link_header(request, [r.object_id for r in rows])
    else:
        headers = offset_link_header(request, page, len(rows))
    return JSONResponse(entities, headers=headers)


async def show(request: Request) -> Response:
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        view = await visible_view(session, path_id(request), viewer)
        return JSONResponse(await render_one(session, node, view, viewer))


async def update(request: Request) -> Response:
    user = await require_user(request, WRITE)
    params = await read_params(request, max_bytes=_body_limit(request))
    try:
        edit = await forms.edit(params)
    finally:
        await params.aclose()
    node = node_of(request)
    async with node.sessions() as session, staged_files(node.config) as stage:
        view = await visible_view(session, path_id(request), user.actor)
        if view.material.author_id != user.actor.id:
            raise ApiError(403, "This action is not allowed")
        try:
            fresh, _dropped = await update_material(session, node, user.actor, view, edit, stage)
        except MaterialError as exc:
            raise refused(exc) from None
        await session.commit()
        return JSONResponse(await render_one(session, node, fresh, user.actor))


async def destroy(request: Request) -> Response:
    user = await require_user(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        view = await visible_view(session, path_id(request), user.actor)
        if view.material.author_id != user.actor.id:
            raise ApiError(403, "This action is not allowed")
        entity = (await render_views(session, node, [view], user.actor))[0]
        await delete_material(session, node, user.actor, view)
        await session.commit()
    return JSONResponse(entity)


async def download(request: Request) -> Response:
    """A file of a material the caller may see, counted (as ``/files/materials/...``)."""
    principal = await optional_scope(request, READ)
    viewer = principal.actor if principal else None
    node = node_of(request)
    async with node.sessions() as session:
        view = await visible_view(session, path_id(request), viewer)
    file_id = path_id(request, "file_id")
    row = next((f for f in view.documents if f.id == file_id), None)
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return await send_file(request, node, row, view.material)


async def vocabulary(_request: Request) -> Response:
    return JSONResponse(labels(), headers={"Cache-Control": "public, max-age=3600"})


routes = api_routes(
    ("/api/v1/staffroom/materials", create, ["POST"]),
    ("/api/v1/staffroom/materials", index, ["GET"]),
    ("/api/v1/staffroom/materials/vocabulary", vocabulary, ["GET"]),
    ("/api/v1/staffroom/materials/{id}", show, ["GET"]),
    ("/api/v1/staffroom/materials/{id}", update, ["PUT", "PATCH"]),
    ("/api/v1/staffroom/materials/{id}", destroy, ["DELETE"]),
    ("/api/v1/staffroom/materials/{id}/files/{file_id}", download, ["GET"]),
)
