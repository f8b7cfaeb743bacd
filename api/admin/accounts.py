"""``/api/v1/admin/accounts`` (and v2's list): list, show, act, approve, role.

Every change is a domain call of ``content.moderation.actions`` (which logs
it with its reason) or of ``actors``; this module parses and renders.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.roles import parse_role
from api.admin.common import int_id, node_of, require_admin, require_moderator
from api.admin.entities import admin_account, admin_accounts
from api.errors import ApiError
from api.pagination import link_header, page_params
from api.params import read_params
from api.routing import Endpoint, api_routes
from content.moderation import actions, reports
from content.moderation.state import states_of
from content.school_accounts import RoleChangeError, change_role
from storage.models import Account, Actor, Report

READ = "admin:read:accounts"
WRITE = "admin:write:accounts"
NOT_FOUND = "Record not found"


async def _list(request: Request) -> Response:
    await require_moderator(request, READ)
    params = await read_params(request)
    page = page_params(params, default=100, maximum=200)
    node = node_of(request)
    origin = params.get("origin") or ("local" if params.get_bool("local") else None)
    if params.get_bool("remote"):
        origin = "remote"
    status = params.get("status")
    for flag in ("suspended", "silenced", "disabled", "sensitized"):
        if params.get_bool(flag):
            status = flag
    async with node.sessions() as session:
        query = select(Actor).where(col(Actor.gone).is_(False), Actor.type != "Application")
        if origin == "local":
            query = query.where(col(Actor.local))
        elif origin == "remote":
            query = query.where(col(Actor.local).is_(False))
        if username := params.get("username"):
            query = query.where(col(Actor.username).contains(username))
        if domain := params.get("by_domain"):
            query = query.where(Actor.domain == domain)
        if role := params.get("role_ids") or params.get("staffroom_role"):
            query = query.where(
                col(Actor.id).in_(select(Account.actor_id).where(Account.role == role))
            )
        if page.max_id is not None:
            query = query.where(col(Actor.id) < page.max_id)
        actors_ = list((await session.exec(query.order_by(col(Actor.id).desc()))).all())
        if status in ("suspended", "silenced", "sensitized", "disabled"):
            states = await states_of(session, [a.id for a in actors_ if a.id is not None])
            accounts = {
                a.actor_id: a
                for a in (
                    await session.exec(
                        select(Account).where(col(Account.actor_id).in_([a.id for a in actors_]))
                    )
                ).all()
            }

            def keep(actor: Actor) -> bool:
                state = states.get(actor.id or 0)
                if status == "disabled":
                    acc = accounts.get(actor.id or 0)
                    return bool(acc and acc.disabled)
                if state is None:
                    return False
                return bool(
                    {
                        "suspended": state.suspended_at,
                        "silenced": state.limited,
                        "sensitized": state.sensitized,
                    }[status]
                )

            actors_ = [a for a in actors_ if keep(a)]
        actors_ = actors_[: page.limit]
        entities = await admin_accounts(session, node, actors_)
    return JSONResponse(entities, headers=link_header(request, [a.id for a in actors_]))


async def _target(session: AsyncSession, raw: object) -> Actor:
    actor = await session.get(Actor, int_id(raw))
    if actor is None or actor.type == "Application":
        raise ApiError(404, NOT_FOUND)
    return actor


async def show(request: Request) -> Response:
    await require_moderator(request, READ)
    node = node_of(request)
    async with node.sessions() as session:
        actor = await _target(session, request.path_params["id"])
        return JSONResponse(await admin_account(session, node, actor))


async def action(request: Request) -> Response:
    """``type``: none (a warning), sensitive, disable, silence, suspend; ``text`` the reason."""
    user = await require_moderator(request, WRITE)
    params = await read_params(request)
    kind = (params.get("type") or "none").strip()
    reason = (params.get("text") or "").strip()
    node = node_of(request)
    async with node.sessions() as session:
        target = await _target(session, request.path_params["id"])
        if target.id == user.actor.id:
            raise ApiError(403, "You cannot act on your own account")
        report: Report | None = None
        if raw := params.get("report_id"):
            report = await session.get(Report, int_id(raw))
            if report is None:
                raise ApiError(404, NOT_FOUND)
        try:
            await actions.account_action(
                session,
                user.actor,
                target,
                kind,
                reason,
                report_id=report.id if report else None,
                node=node,
            )
        except actions.ModerationError as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        if report is not None:
            await reports.resolve(session, report, user.actor, reason=reason)
        await session.commit()
    return JSONResponse({})


def _undo(what: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        user = await require_moderator(request, WRITE)
        node = node_of(request)
        async with node.sessions() as session:
            target = await _target(session, request.path_params["id"])
            try:
                if what == "unsuspend":
                    await actions.unsuspend(session, user.actor, target)
                elif what == "unsilence":
                    await actions.set_account_flag(session, user.actor, target, "limited", False)
                elif what == "unsensitive":
                    await actions.set_account_flag(session, user.actor, target, "sensitized", False)
                elif what == "enable":
                    await actions.disable(session, user.actor, target, False)
            except actions.ModerationError as exc:
                raise ApiError(422, f"Validation failed: {exc}") from None
            await session.commit()
            return JSONResponse(await admin_account(session, node, target))

    return endpoint


async def approve(request: Request) -> Response:
    """Accounts here are made by the school, never waiting for approval: already approved."""
    await require_moderator(request, WRITE)
    node = node_of(request)
    async with node.sessions() as session:
        target = await _target(session, request.path_params["id"])
        if not target.local:
            raise ApiError(403, "This action is not allowed")
        return JSONResponse(await admin_account(session, node, target))


async def set_role(request: Request) -> Response:
    """Staffroom: change a local account's role (admins only); logged like every action."""
    user = await require_admin(request, WRITE)
    params = await read_params(request)
    try:
        role = parse_role(params.get("role") or "")
    except ValueError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from None
    node = node_of(request)
    async with node.sessions() as session:
        target = await _target(session, request.path_params["id"])
        try:
            await change_role(session, user.actor, target, role)
        except RoleChangeError as exc:
            if exc.reason == "self":
                raise ApiError(403, "You cannot change your own role") from None
            raise ApiError(404, NOT_FOUND) from None
        await session.commit()
        return JSONResponse(await admin_account(session, node, target))


routes = api_routes(
    ("/api/v1/admin/accounts", _list, ["GET"]),
    ("/api/v2/admin/accounts", _list, ["GET"]),
    ("/api/v1/admin/accounts/{id}", show, ["GET"]),
    ("/api/v1/admin/accounts/{id}/action", action, ["POST"]),
    ("/api/v1/admin/accounts/{id}/approve", approve, ["POST"]),
    ("/api/v1/admin/accounts/{id}/unsuspend", _undo("unsuspend"), ["POST"]),
    ("/api/v1/admin/accounts/{id}/unsilence", _undo("unsilence"), ["POST"]),
    ("/api/v1/admin/accounts/{id}/unsensitive", _undo("unsensitive"), ["POST"]),
    ("/api/v1/admin/accounts/{id}/enable", _undo("enable"), ["POST"]),
    ("/api/v1/admin/accounts/{id}/role", set_role, ["POST"]),
)
