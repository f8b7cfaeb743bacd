"""``POST /api/v1/reports``: a person reports an account (and some of its posts)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api import account_queries
from api.admin.common import node_of
from api.auth import require_user
from api.entities.account import account_entity
from api.entities.time import iso_ms, iso_ms_or_none
from api.errors import ApiError
from api.params import read_params
from api.routing import api_routes
from content.moderation.reports import ReportError, file_report
from storage.models import Report


def report_entity(report: Report, status_ids: list[str], target: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(report.id),
        "action_taken": report.resolved_at is not None,
        "action_taken_at": iso_ms_or_none(report.resolved_at),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso_ms(report.created_at),
        "status_ids": status_ids,
        "rule_ids": [],
        "target_account": target,
    }


async def create(request: Request) -> Response:
    user = await require_user(request, "write:reports")
    params = await read_params(request)
    raw_ids = params.get_list("status_ids[]") or params.get_list("status_ids")
    if any(not i.isdigit() for i in raw_ids):
        raise ApiError(422, "Validation failed: status_ids must be ids")
    node = node_of(request)
    async with node.sessions() as session:
        target = await account_queries.actor_by_id(session, params.get("account_id") or "")
        try:
            report = await file_report(
                session,
                node,
                user.actor,
                target,
                status_ids=[int(i) for i in raw_ids],
                comment=params.get("comment") or "",
                category=params.get("category") or "other",
                forward=params.get_bool("forward"),
            )
        except ReportError as exc:
            raise ApiError(exc.status, f"Validation failed: {exc}") from None
        await session.commit()
        entity = report_entity(report, raw_ids, await account_entity(session, node, target))
    return JSONResponse(entity)


routes = api_routes(("/api/v1/reports", create, ["POST"]))
