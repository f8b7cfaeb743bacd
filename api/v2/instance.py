"""``GET /api/v2/instance``: the first thing most apps fetch (Mastodon 4.x shape)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api.routing import api_routes
from api.v1.instance import CACHE, instance_document


async def instance(request: Request) -> Response:
    node: NodeContext = request.app.state.node
    return JSONResponse(await instance_document(node, 2), headers=CACHE)


routes = api_routes(("/api/v2/instance", instance, ["GET"]))
