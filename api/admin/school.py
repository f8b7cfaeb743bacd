"""Staffroom's school endpoints: accounts the school creates, invites, parents' read-only views.

* ``POST /api/v1/staffroom/accounts``: staff create an account with a role
  (a teacher: students and parents; a moderator: teachers too; an admin: any).
* ``POST /api/v1/staffroom/invites``: an invite link carrying a role (and,
  for a parent, the child); ``POST /api/v1/staffroom/invites/{code}/redeem``
  makes the account (no token needed; rate limited per client).
* ``POST``/``DELETE /api/v1/staffroom/guardians``: link a parent to a child.
* ``GET /api/v1/staffroom/children`` and ``.../children/{id}/messages``: what
  a parent may read of their children (posts, follows and the rest through
  the ordinary read endpoints, which honour the link). Nothing here writes
  on a child's behalf.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast
from sqlmodel import col, or_, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actors import guardians, invites
from actors.local import NameTakenError, create_person
from actors.passwords import generate_password
from actors.roles import InvalidUsernameError, parse_role
from api.admin.common import NOT_ALLOWED, int_id, node_of
from api.admin.entities import admin_account
from api.auth import require_user
from api.entities.account import account_entities
from api.entities.status import status_entities
from api.entities.time import iso_ms_or_none
from api.errors import ApiError
from api.params import read_params
from api.routing import api_routes
from api.throttle import throttle
from storage.models import Actor, ContentObject, Role, Visibility

# Who may create which roles.
CREATES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(r.value for r in Role),
    Role.MODERATOR: frozenset({Role.TEACHER, Role.STUDENT, Role.PARENT}),
    Role.TEACHER: frozenset({Role.STUDENT, Role.PARENT}),
}
REDEEM_PER_FIVE_MINUTES = 10


async def create_account(request: Request) -> Response:
    user = await require_user(request, "write:accounts", "admin:write:accounts")
    params = await read_params(request)
    try:
        role = parse_role(params.get("role") or "")
    except ValueError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from None
    if role not in CREATES.get(user.account.role, frozenset()):
        raise ApiError(403, NOT_ALLOWED)
    password = params.get("password") or ""
    generated = not password
    if generated:
        password = generate_password()
    elif len(password) < 8:
        raise ApiError(422, "Validation failed: the password must have at least 8 characters")
    node = node_of(request)
    async with node.sessions() as session:
        try:
            _account, actor = await create_person(
                session,
                node.config,
                params.get("username") or "",
                role=role,
                password=password,
                display_name=params.get("display_name") or "",
                email=params.get("email") or None,
                must_change_password=generated,
            )
        except (NameTakenError, InvalidUsernameError) as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        await session.commit()
        entity = await admin_account(session, node, actor)
    if generated:
        entity["staffroom_password"] = password  # shown once, to the school
    return JSONResponse(entity)


async def create_invite(request: Request) -> Response:
    user = await require_user(request, "write:accounts", "admin:write:accounts")
    params = await read_params(request)
    raw_student = params.get("student_id")
    node = node_of(request)
    async with node.sessions() as session:
        try:
            invite, code = await invites.issue(
                session,
                user.account,
                role=params.get("role") or "",
                student_id=int_id(raw_student) if raw_student else None,
                max_uses=params.get_int("max_uses", 1) or 1,
                valid_days=params.get_int("valid_days", 14),
            )
        except (invites.InviteError, ValueError) as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        await session.commit()
    return JSONResponse(
        {
            "id": str(invite.id),
            "code": code,
            "url": f"{node.config.base_url}/invite/{code}",
            "role": invite.role,
            "student_id": str(invite.student_id) if invite.student_id else None,
            "max_uses": invite.max_uses,
            "expires_at": iso_ms_or_none(invite.expires_at),
        }
    )


async def redeem_invite(request: Request) -> Response:
    throttle(request, "invite-redeem", REDEEM_PER_FIVE_MINUTES)
    params = await read_params(request)
    node = node_of(request)
    async with node.sessions() as session:
        try:
            _account, actor = await invites.redeem(
                session,
                node.config,
                str(request.path_params["code"]),
                username=params.get("username") or "",
                password=params.get("password") or "",
                display_name=params.get("display_name") or "",
                email=params.get("email") or None,
            )
        except invites.InviteError as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        except (NameTakenError, InvalidUsernameError) as exc:
            raise ApiError(422, f"Validation failed: {exc}") from None
        await session.commit()
        (entity,) = await account_entities(session, node, [actor])
    return JSONResponse(entity)


async def _guardian_change(request: Request, *, linking: bool) -> Response:
    user = await require_user(request, "write:accounts", "admin:write:accounts")
    params = await read_params(request)
    parent_id = int_id(params.get("parent_id") or "")
    student_id = int_id(params.get("student_id") or "")
    node = node_of(request)
    async with node.sessions() as session:
        try:
            if linking:
                await guardians.link(
                    session, parent_id=parent_id, student_id=student_id, by=user.account
                )
            else:
                if user.account.role not in CREATES:
                    raise ApiError(403, NOT_ALLOWED)
                await guardians.unlink(session, parent_id=parent_id, student_id=student_id)
        except guardians.GuardianLinkError as exc:
            status = 403 if "only the school" in str(exc) else 422
            raise ApiError(status, f"Validation failed: {exc}") from None
        await session.commit()
    return JSONResponse({"parent_id": str(parent_id), "student_id": str(student_id)})


async def link_guardian(request: Request) -> Response:
    return await _guardian_change(request, linking=True)


async def unlink_guardian(request: Request) -> Response:
    return await _guardian_change(request, linking=False)


async def children(request: Request) -> Response:
    user = await require_user(request, "read:accounts")
    node = node_of(request)
    async with node.sessions() as session:
        assert user.actor.id is not None
        kids = await guardians.children_of(session, user.actor.id)
        return JSONResponse(await account_entities(session, node, kids))


async def child_messages(request: Request) -> Response:
    """The child's direct messages, sent and received, for a linked parent to read."""
    user = await require_user(request, "read:statuses")
    node = node_of(request)
    async with node.sessions() as session:
        child = await session.get(Actor, int_id(request.path_params["id"]))
        assert user.actor.id is not None
        if child is None or not await guardians.is_guardian_of(
            session, user.actor.id, child.id or 0
        ):
            raise ApiError(404, "Record not found")
        rows = await session.exec(
            select(ContentObject)
            .where(
                ContentObject.visibility == Visibility.DIRECT,
                col(ContentObject.deleted_at).is_(None),
                or_(
                    ContentObject.author_id == child.id,
                    cast(ContentObject.to, Text).contains(f'"{child.ap_id}"'),
                ),
            )
            .order_by(col(ContentObject.id).desc())
            .limit(40)
        )
        objects: list[Any] = list(rows.all())
        return JSONResponse(await status_entities(session, node, objects, user.actor))


routes = api_routes(
    ("/api/v1/staffroom/accounts", create_account, ["POST"]),
    ("/api/v1/staffroom/invites", create_invite, ["POST"]),
    ("/api/v1/staffroom/invites/{code}/redeem", redeem_invite, ["POST"]),
    ("/api/v1/staffroom/guardians", link_guardian, ["POST"]),
    ("/api/v1/staffroom/guardians", unlink_guardian, ["DELETE"]),
    ("/api/v1/staffroom/children", children, ["GET"]),
    ("/api/v1/staffroom/children/{id}/messages", child_messages, ["GET"]),
)
