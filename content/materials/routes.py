"""HTTP for materials outside the client API: file downloads, our JSON-LD context, collections.

* ``GET /files/materials/<key>/<name>``: a material's file (ours, or our
  mirror of a remote one). The key is unguessable (files of followers-only
  materials are as private as Mastodon's media: whoever has the URL); the
  file of a deleted material is gone (``404``). Each download is counted
  once per viewer per day (:mod:`.downloads`); public materials download
  without an account. ``Content-Disposition: attachment`` with the file's
  name, ``nosniff`` and a sandboxing CSP: a browser never runs a file as a page.
* ``GET /ns``: our JSON-LD context (``federation/contexts/staffroom.jsonld``),
  the document behind ``https://staffroom.social/ns``, served by every node.
* ``GET /users/NAME/material-collections/ID``: a collection as an
  ``OrderedCollection`` (see :mod:`.collections`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from sqlmodel import select
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from actors.context import NodeContext
from actors.http import ActivityResponse
from actors.local import local_actor_by_name
from actors.tokens import account_for_token
from content.materials import collections
from content.materials.downloads import count_download, viewer_key
from content.materials.files import stored_path
from federation.jsonld_contexts import bundled_file
from storage.models import Actor, ContentObject, Material, MaterialFile

_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": "private, max-age=3600",
}


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


def _not_found() -> Response:
    return JSONResponse({"error": "not found"}, status_code=404)


async def viewer_of(request: Request, node: NodeContext) -> str:
    """Who downloads, for the counter: a bearer token's account, else the client address."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        async with node.sessions() as session:
            found = await account_for_token(session, token.strip())
        if found is not None:
            return viewer_key(found[0].actor_id, None, node.config.secret_key)
    client = request.client.host if request.client else None
    return viewer_key(None, client, node.config.secret_key)


def attachment_disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


async def send_file(
    request: Request, node: NodeContext, row: MaterialFile, material: Material
) -> Response:
    """Count the download, then the file itself (ours) or a redirect to its node's copy."""
    key = await viewer_of(request, node)
    async with node.sessions() as session:
        await count_download(session, material.object_id, key, datetime.now(UTC).date())
        await session.commit()
    path = stored_path(node.config, row.file_name) if row.file_name else None
    if path is None:
        if material.local:
            return _not_found()
        return Response(status_code=302, headers={"Location": row.url})
    headers = {**_FILE_HEADERS, "Content-Disposition": attachment_disposition(row.name)}
    return FileResponse(
        path, media_type=row.media_type or "application/octet-stream", headers=headers
    )


async def file_get(request: Request) -> Response:
    node = _node(request)
    key = str(request.path_params["key"])
    if not key.isalnum() or len(key) > 64:
        return _not_found()
    async with node.sessions() as session:
        row = (
            await session.exec(select(MaterialFile).where(MaterialFile.access_key == key))
        ).first()
        material = await session.get(Material, row.material_id) if row else None
        obj = await session.get(ContentObject, row.material_id) if row else None
    if row is None or material is None or obj is None or obj.deleted_at is not None:
        return _not_found()
    return await send_file(request, node, row, material)


async def context_get(_request: Request) -> Response:
    return JSONResponse(
        bundled_file("staffroom.jsonld"),
        media_type="application/ld+json",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=86400"},
    )


async def collection_get(request: Request) -> Response:
    node = _node(request)
    raw = str(request.path_params["id"])
    if not raw.isdigit() or len(raw) > 19:
        return _not_found()
    async with node.sessions() as session:
        owner: Actor | None = await local_actor_by_name(session, request.path_params["username"])
        if owner is None:
            return _not_found()
        doc = await collections.collection_document(session, node.config, owner, int(raw))
    if doc is None:
        return _not_found()
    return ActivityResponse(doc, headers={"Vary": "Accept"})


routes = [
    Route("/files/materials/{key}/{name}", file_get, methods=["GET", "HEAD"]),
    Route("/ns", context_get, methods=["GET"]),
    Route("/users/{username}/material-collections/{id}", collection_get, methods=["GET"]),
]
