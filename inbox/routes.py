"""Inbox endpoints: the personal inbox of each local actor and the shared inbox."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.context import NodeContext
from actors.local import local_actor_by_name
from actors.roles import INSTANCE_ACTOR_USERNAME
from inbox.pipeline import receive


def _target(request: Request) -> str:
    """The request target exactly as sent: signatures cover the raw, undecoded path."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


async def _accept(request: Request, recipient_id: int | None) -> Response:
    node: NodeContext = request.app.state.node
    result = await receive(
        node,
        method=request.method,
        target=_target(request),
        headers=request.headers,
        stream=request.stream(),
        recipient_id=recipient_id,
    )
    return JSONResponse({"id": result.activity_id, "stored": result.stored}, status_code=202)


async def shared_inbox(request: Request) -> Response:
    return await _accept(request, None)


async def personal_inbox(request: Request) -> Response:
    node: NodeContext = request.app.state.node
    async with node.sessions() as session:
        actor = await local_actor_by_name(session, request.path_params["username"])
    if actor is None:
        return JSONResponse({"error": "no such actor"}, status_code=404)
    return await _accept(request, actor.id)


async def instance_inbox(request: Request) -> Response:
    node: NodeContext = request.app.state.node
    async with node.sessions() as session:
        actor = await local_actor_by_name(session, INSTANCE_ACTOR_USERNAME)
    return await _accept(request, actor.id if actor else None)


routes = [
    Route("/actor/inbox", instance_inbox, methods=["POST"]),
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", personal_inbox, methods=["POST"]),
]
