"""``/api/v1/admin/domain_blocks`` and ``/domain_allows``, and the public list of blocks.

Changes go through ``content.moderation.domains`` (applied to what is stored,
logged); after the commit this process's gate is told at once.
"""

from __future__ import annotations

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors import node_settings
from api.admin.common import int_id, node_of, require_moderator
from api.admin.entities import domain_allow_entity, domain_block_entity, public_domain_block
from api.auth import optional_scope
from api.errors import ApiError
from api.params import Params, read_params
from api.routing import api_routes
from content.moderation import domains
from storage.models import DomainPolicy, DomainSeverity

NOT_FOUND = "Record not found"


def _is_block(row: DomainPolicy) -> bool:
    return row.severity != DomainSeverity.NOOP or row.reject_media or row.reject_reports


async def list_blocks(request: Request) -> Response:
    await require_moderator(request, "admin:read:domain_blocks")
    node = node_of(request)
    async with node.sessions() as session:
        rows = [r for r in await domains.policies(session) if _is_block(r)]
    return JSONResponse([domain_block_entity(r) for r in rows])


async def _row(request: Request, *, block: bool) -> DomainPolicy:
    node = node_of(request)
    async with node.sessions() as session:
        row = await session.get(DomainPolicy, int_id(request.path_params["id"]))
    if row is None or (_is_block(row) if block else row.allowed) is False:
        raise ApiError(404, NOT_FOUND)
    return row


async def show_block(request: Request) -> Response:
    await require_moderator(request, "admin:read:domain_blocks")
    return JSONResponse(domain_block_entity(await _row(request, block=True)))


async def _save_block(request: Request, params: Params, domain: str) -> Response:
    user = await require_moderator(request, "admin:write:domain_blocks")
    node = node_of(request)
    async with node.sessions() as session:
        try:
            row = await domains.block(
                session,
                domain,
                severity=params.get("severity") or DomainSeverity.SILENCE,
                reject_media=params.get_bool("reject_media"),
                reject_reports=params.get_bool("reject_reports"),
                obfuscate=params.get_bool("obfuscate"),
                public_comment=params.get("public_comment") or "",
                private_comment=params.get("private_comment") or "",
                moderator=user.actor,
            )
        except domains.DomainPolicyError as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        await session.commit()
        entity = domain_block_entity(row)
    node.gate.invalidate()
    return JSONResponse(entity)


async def create_block(request: Request) -> Response:
    await require_moderator(request, "admin:write:domain_blocks")
    params = await read_params(request)
    return await _save_block(request, params, params.get("domain") or "")


async def update_block(request: Request) -> Response:
    await require_moderator(request, "admin:write:domain_blocks")
    row = await _row(request, block=True)
    params = await read_params(request)
    merged = Params(
        {
            "severity": [params.get("severity") or row.severity],
            "reject_media": [str(params.get_bool("reject_media", row.reject_media)).lower()],
            "reject_reports": [str(params.get_bool("reject_reports", row.reject_reports)).lower()],
            "obfuscate": [str(params.get_bool("obfuscate", row.obfuscate)).lower()],
            "public_comment": [params.get("public_comment", row.public_comment) or ""],
            "private_comment": [params.get("private_comment", row.private_comment) or ""],
        }
    )
    return await _save_block(request, merged, row.domain)


async def delete_block(request: Request) -> Response:
    user = await require_moderator(request, "admin:write:domain_blocks")
    row = await _row(request, block=True)
    node = node_of(request)
    async with node.sessions() as session:
        await domains.unblock(session, row.domain, moderator=user.actor)
        await session.commit()
    node.gate.invalidate()
    return JSONResponse({})


async def list_allows(request: Request) -> Response:
    await require_moderator(request, "admin:read:domain_allows")
    node = node_of(request)
    async with node.sessions() as session:
        rows = (
            await session.exec(
                select(DomainPolicy)
                .where(col(DomainPolicy.allowed))
                .order_by(col(DomainPolicy.domain))
            )
        ).all()
    return JSONResponse([domain_allow_entity(r) for r in rows])


async def show_allow(request: Request) -> Response:
    await require_moderator(request, "admin:read:domain_allows")
    return JSONResponse(domain_allow_entity(await _row(request, block=False)))


async def create_allow(request: Request) -> Response:
    user = await require_moderator(request, "admin:write:domain_allows")
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        try:
            row = await domains.allow(session, params.get("domain") or "", moderator=user.actor)
        except domains.DomainPolicyError as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        await session.commit()
        entity = domain_allow_entity(row)
    node.gate.invalidate()
    return JSONResponse(entity)


async def delete_allow(request: Request) -> Response:
    user = await require_moderator(request, "admin:write:domain_allows")
    row = await _row(request, block=False)
    node = node_of(request)
    async with node.sessions() as session:
        await domains.disallow(session, row.domain, moderator=user.actor)
        await session.commit()
    node.gate.invalidate()
    return JSONResponse({})


async def public_blocks(request: Request) -> Response:
    """Mastodon's ``/api/v1/instance/domain_blocks``, when the admin publishes them."""
    await optional_scope(request)
    node = node_of(request)
    async with node.sessions() as session:
        if not await node_settings.read(session, "federation.publish_domain_blocks"):
            raise ApiError(404, NOT_FOUND)
        rows = [r for r in await domains.policies(session) if r.severity != DomainSeverity.NOOP]
    return JSONResponse([public_domain_block(r) for r in rows])


routes = api_routes(
    ("/api/v1/admin/domain_blocks", list_blocks, ["GET"]),
    ("/api/v1/admin/domain_blocks", create_block, ["POST"]),
    ("/api/v1/admin/domain_blocks/{id}", show_block, ["GET"]),
    ("/api/v1/admin/domain_blocks/{id}", update_block, ["PUT"]),
    ("/api/v1/admin/domain_blocks/{id}", delete_block, ["DELETE"]),
    ("/api/v1/admin/domain_allows", list_allows, ["GET"]),
    ("/api/v1/admin/domain_allows", create_allow, ["POST"]),
    ("/api/v1/admin/domain_allows/{id}", show_allow, ["GET"]),
    ("/api/v1/admin/domain_allows/{id}", delete_allow, ["DELETE"]),
    ("/api/v1/instance/domain_blocks", public_blocks, ["GET"]),
)
