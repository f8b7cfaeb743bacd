"""``/api/v1/admin/reports``: the moderation queue (list, show, assign, resolve, reopen).

``POST .../:id/release`` (Staffroom's) delivers a message from another node
that was held because it addressed a student (:func:`content.moderation.held.release`);
422 when the report holds none or it was released already.
"""

from __future__ import annotations

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.admin.common import int_id, node_of, require_moderator
from api.admin.entities import admin_report
from api.errors import ApiError
from api.params import read_params
from api.routing import Endpoint, api_routes
from content.moderation import held, reports
from storage.models import Report

READ = "admin:read:reports"
WRITE = "admin:write:reports"


async def _list(request: Request) -> Response:
    user = await require_moderator(request, READ)
    params = await read_params(request)
    node = node_of(request)
    limit = max(1, min(params.get_int("limit", 100) or 100, 200))
    async with node.sessions() as session:
        query = select(Report)
        if params.get_bool("resolved"):
            query = query.where(col(Report.resolved_at).is_not(None))
        else:
            query = query.where(col(Report.resolved_at).is_(None))
        if raw := params.get("target_account_id"):
            query = query.where(Report.target_id == int_id(raw))
        if raw := params.get("account_id"):
            query = query.where(Report.reporter_id == int_id(raw))
        rows = (await session.exec(query.order_by(col(Report.id)).limit(limit))).all()
        return JSONResponse([await admin_report(session, node, r, user.actor) for r in rows])


async def show(request: Request) -> Response:
    user = await require_moderator(request, READ)
    node = node_of(request)
    async with node.sessions() as session:
        report = await session.get(Report, int_id(request.path_params["id"]))
        if report is None:
            raise ApiError(404, "Record not found")
        return JSONResponse(await admin_report(session, node, report, user.actor))


def _change(what: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        user = await require_moderator(request, WRITE)
        params = await read_params(request)
        node = node_of(request)
        async with node.sessions() as session:
            report = await session.get(Report, int_id(request.path_params["id"]))
            if report is None:
                raise ApiError(404, "Record not found")
            if what == "assign":
                await reports.assign(session, report, user.actor)
            elif what == "unassign":
                await reports.assign(session, report, None)
            elif what == "release":
                try:
                    await held.release(session, node, user.actor, report)
                except held.ReleaseError as exc:
                    raise ApiError(422, f"Validation failed: {exc}") from None
            elif what == "resolve":
                await reports.resolve(session, report, user.actor, reason=params.get("text") or "")
            else:
                await reports.reopen(session, report, user.actor)
            await session.commit()
            return JSONResponse(await admin_report(session, node, report, user.actor))

    return endpoint


routes = api_routes(
    ("/api/v1/admin/reports", _list, ["GET"]),
    ("/api/v1/admin/reports/{id}", show, ["GET"]),
    ("/api/v1/admin/reports/{id}/assign_to_self", _change("assign"), ["POST"]),
    ("/api/v1/admin/reports/{id}/unassign", _change("unassign"), ["POST"]),
    ("/api/v1/admin/reports/{id}/resolve", _change("resolve"), ["POST"]),
    ("/api/v1/admin/reports/{id}/reopen", _change("reopen"), ["POST"]),
    ("/api/v1/admin/reports/{id}/release", _change("release"), ["POST"]),
)
