"""Who may use the admin API: a moderator or an admin, through a token with the admin scope.

Both are required: a teacher holding a token with ``admin:write`` is refused
(403), and so is a moderator whose token lacks the scope (403 with the
scope challenge), before anything is read or changed.
"""

from __future__ import annotations

from starlette.requests import Request

from actors.context import NodeContext
from actors.roles import STAFF_ROLES
from api.auth import CurrentUser, require_user
from api.errors import ApiError
from storage.models import Role

NOT_ALLOWED = "This action is not allowed"


def node_of(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def require_moderator(request: Request, *scopes: str) -> CurrentUser:
    user = await require_user(request, *scopes)
    if user.account.role not in STAFF_ROLES:
        raise ApiError(403, NOT_ALLOWED)
    return user


async def require_admin(request: Request, *scopes: str) -> CurrentUser:
    user = await require_user(request, *scopes)
    if user.account.role != Role.ADMIN:
        raise ApiError(403, NOT_ALLOWED)
    return user


def int_id(raw: object) -> int:
    text = str(raw)
    if not text.isdigit():
        raise ApiError(404, "Record not found")
    return int(text)
