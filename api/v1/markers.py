"""Read markers (``/api/v1/markers``): where the user stopped reading home and notifications.

``POST`` takes ``home[last_read_id]`` and/or ``notifications[last_read_id]``
(form or JSON) and answers with every marker it saved.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api import client_state
from api.auth import require_user
from api.entities.time import iso_ms
from api.errors import ApiError
from api.params import read_params
from api.routing import api_routes
from storage.models import Marker


def marker_entity(row: Marker) -> dict[str, Any]:
    return {
        "last_read_id": row.last_read_id,
        "version": row.version,
        "updated_at": iso_ms(row.updated_at),
    }


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def get_markers(request: Request) -> Response:
    user = await require_user(request, "read:statuses")
    params = await read_params(request)
    async with _node(request).sessions() as session:
        rows = await client_state.markers(session, user.actor, params.get_list("timeline"))
    return JSONResponse({row.timeline: marker_entity(row) for row in rows})


async def save_markers(request: Request) -> Response:
    user = await require_user(request, "write:statuses")
    params = await read_params(request)
    wanted = {
        timeline: value
        for timeline in client_state.TIMELINES
        if (value := (params.get(f"{timeline}[last_read_id]") or "").strip())
    }
    if not wanted:
        raise ApiError(422, "Validation failed: last_read_id can't be blank")
    async with _node(request).sessions() as session:
        saved = [
            await client_state.save_marker(session, user.actor, timeline, value)
            for timeline, value in wanted.items()
        ]
        await session.commit()
    return JSONResponse({row.timeline: marker_entity(row) for row in saved})


routes = api_routes(
    ("/api/v1/markers", get_markers, ["GET"]),
    ("/api/v1/markers", save_markers, ["POST"]),
)
