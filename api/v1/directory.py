"""``GET /api/v1/directory``: Mastodon's profile directory, communities included.

Lists discoverable accounts (``discoverable``: people who opted in, and
public communities; a members-only community is not discoverable), ``local``
ones only when asked, ``order=new`` (newest first) or ``active`` (the
default; by the time the profile last changed, which is what we know of
remote accounts), with ``offset`` and ``limit`` (at most 80). No token is
needed, as in Mastodon.
"""

from __future__ import annotations

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors.roles import INSTANCE_ACTOR_USERNAME
from api.entities.account import account_entities
from api.errors import ApiError
from api.params import read_params
from api.routing import api_routes
from api.status_support import node_of
from storage.models import Actor, ActorType

MAX_LIMIT = 80


def _number(raw: str | None, default: int, *, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 6:
        raise ApiError(422, "Validation failed: offset and limit must be numbers")
    return min(int(raw), maximum)


async def directory(request: Request) -> Response:
    params = await read_params(request)
    offset = _number(params.get("offset"), 0, maximum=100_000)
    limit = max(1, _number(params.get("limit"), 40, maximum=MAX_LIMIT))
    order = (params.get("order") or "active").strip().lower()
    if order not in ("active", "new"):
        raise ApiError(422, "Validation failed: order must be active or new")
    statement = select(Actor).where(
        col(Actor.discoverable),
        ~col(Actor.gone),
        col(Actor.type).in_([ActorType.PERSON, ActorType.GROUP]),
        col(Actor.local_username).is_(None)
        | (col(Actor.local_username) != INSTANCE_ACTOR_USERNAME),
    )
    if params.get_bool("local"):
        statement = statement.where(col(Actor.local))
    column = Actor.published if order == "new" else Actor.updated_at
    statement = statement.order_by(col(column).desc(), col(Actor.id).desc())
    node = node_of(request)
    async with node.sessions() as session:
        rows = list((await session.exec(statement.offset(offset).limit(limit))).all())
        return JSONResponse(await account_entities(session, node, rows))


routes = api_routes(("/api/v1/directory", directory, ["GET"]))
