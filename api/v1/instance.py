"""``/api/v1/instance`` and its sub-resources: peers, activity, rules.

Public, like Mastodon's (apps call them before anyone has logged in); a token
is neither needed nor checked.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.context import NodeContext
from api import instance_facts
from api.entities.account import account_entity
from api.entities.instance import activity_entity, instance_v1, instance_v2, rule_entities
from api.routing import api_routes

# What a stranger's app may cache: the figures change slowly.
CACHE = {"Cache-Control": "public, max-age=60"}


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def instance_document(node: NodeContext, version: int) -> dict[str, Any]:
    """The v1 or v2 Instance entity (shared by both routes' modules)."""
    async with node.sessions() as session:
        stats = await instance_facts.stats(session)
        found = await instance_facts.contact(session)
        contact = await account_entity(session, node, found[1]) if found else None
    build = instance_v2 if version == 2 else instance_v1
    return build(node.config, stats, contact, "")


async def instance(request: Request) -> Response:
    return JSONResponse(await instance_document(_node(request), 1), headers=CACHE)


async def peers(request: Request) -> Response:
    async with _node(request).sessions() as session:
        return JSONResponse(await instance_facts.peers(session), headers=CACHE)


async def activity(request: Request) -> Response:
    async with _node(request).sessions() as session:
        weeks = await instance_facts.weekly_activity(session)
    return JSONResponse([activity_entity(week) for week in weeks], headers=CACHE)


async def rules(_request: Request) -> Response:
    return JSONResponse(rule_entities(), headers=CACHE)


routes = api_routes(
    ("/api/v1/instance", instance, ["GET"]),
    ("/api/v1/instance/peers", peers, ["GET"]),
    ("/api/v1/instance/activity", activity, ["GET"]),
    ("/api/v1/instance/rules", rules, ["GET"]),
)
