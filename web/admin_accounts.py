"""The admin's page of the school's accounts: create one, invite links, roles, suspension.

* ``GET /admin``: the node's settings (``web.settings_pages`` saves them,
  with the open or invite-only switch), the accounts with their roles, and
  the invites.
* ``POST /admin/accounts/new``: an account with a generated password, shown
  once on the answer (the person must change it on first sign-in).
* ``POST /admin/invites``: an invite link with a role, an expiry and a number
  of uses (``actors.invites``: the code is shown once and stored hashed);
  ``/admin/invites/revoke`` ends one.
* ``POST /admin/accounts/role``: a role changed (``content.school_accounts``,
  logged in the audit log). Suspension is the moderation view's
  (``/admin/accounts/<id>``, with a reason), linked from each row.

Admins only: anyone else gets a 403 page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors import invites, registration
from actors.local import NameTakenError, create_person, list_accounts
from actors.passwords import generate_password
from actors.roles import InvalidUsernameError
from content.moderation.state import states_of
from content.school_accounts import RoleChangeError, change_role
from storage.models import Actor, Role
from web.i18n import gettext as _
from web.page import PageError, Visitor, handler, read_form, redirect, render
from web.settings_pages import admin_only, zones

ROLES = [r.value for r in (Role.TEACHER, Role.STUDENT, Role.PARENT, Role.MODERATOR, Role.ADMIN)]
INVITE_ROLES = ROLES[:4]
INVITE_DAYS = (1, 7, 14, 30, 90)


async def admin_page(request: Request, visitor: Visitor, **shown: object) -> Response:
    admin_only(visitor)
    async with visitor.node.sessions() as session:
        accounts = await list_accounts(session)
        states = await states_of(session, [a.id for _acc, a in accounts if a.id is not None])
        issued = await invites.listed(session)
        open_now = await registration.is_open(session, visitor.node.config)
    return render(
        visitor,
        "admin.html",
        accounts=accounts,
        suspended={i for i, s in states.items() if s.suspended_at is not None},
        invites=[(i, invites.usable(i)) for i in issued],
        registrations_open=open_now,
        roles=ROLES,
        invite_roles=INVITE_ROLES,
        students=[(acc, a) for acc, a in accounts if acc.role == Role.STUDENT],
        invite_days=INVITE_DAYS,
        zones=zones(),
        saved=request.query_params.get("saved") == "1",
        done=request.query_params.get("done"),
        created=shown.get("created"),
        invite_link=shown.get("invite_link"),
        status=int(shown.get("status", 200)),  # type: ignore[call-overload]
    )


def _role(raw: str, allowed: list[str]) -> Role:
    if raw not in allowed:
        raise PageError(422, _("This value cannot be used."))
    return Role(raw)


async def create_account(request: Request, visitor: Visitor) -> Response:
    admin_only(visitor)
    form = await read_form(request, visitor)
    role = _role(form.get("role"), ROLES)
    name = form.get("display_name").strip()
    if len(name) > 100:
        raise PageError(422, _("The name is too long."))
    password = generate_password()
    async with visitor.node.sessions() as session:
        try:
            _account, actor = await create_person(
                session,
                visitor.node.config,
                form.get("username").strip(),
                role=role,
                password=password,
                display_name=name,
                must_change_password=True,
            )
        except InvalidUsernameError:
            raise PageError(422, _("A name is 1 to 30 letters, digits or underscores.")) from None
        except NameTakenError:
            raise PageError(422, _("This name is already taken on this node.")) from None
        await session.commit()
    return await admin_page(request, visitor, created=(actor, password), status=201)


async def create_invite(request: Request, visitor: Visitor) -> Response:
    admin_only(visitor)
    form = await read_form(request, visitor)
    role = _role(form.get("role"), INVITE_ROLES)
    days = form.get("valid_days")
    uses = form.get("max_uses").strip() or "1"
    if days not in {str(d) for d in INVITE_DAYS} or not uses.isdigit() or len(uses) > 4:
        raise PageError(422, _("This value cannot be used."))
    # A parent's invite may name the child the new account is linked to.
    child = form.get("student")
    student_id = int(child) if child.isdigit() and len(child) < 19 else None
    if child and student_id is None:
        raise PageError(422, _("This value cannot be used."))
    assert visitor.account is not None
    async with visitor.node.sessions() as session:
        try:
            _invite, code = await invites.issue(
                session,
                visitor.account,
                role=role.value,
                student_id=student_id,
                max_uses=int(uses),
                valid_days=int(days),
            )
        except invites.InviteError:
            raise PageError(
                422, _("This value cannot be used (only a parent's invite names a student).")
            ) from None
        await session.commit()
    link = f"{visitor.node.config.base_url}/invite/{code}"
    return await admin_page(request, visitor, invite_link=link, status=201)


async def revoke_invite(request: Request, visitor: Visitor) -> Response:
    admin_only(visitor)
    form = await read_form(request, visitor)
    raw = form.get("invite")
    async with visitor.node.sessions() as session:
        found = await invites.by_id(session, int(raw)) if raw.isdigit() and len(raw) < 19 else None
        if found is None:
            raise PageError(404, _("There is no such invite."))
        await invites.revoke(session, found)
        await session.commit()
    return redirect("/admin?done=revoked#invites")


async def set_role(request: Request, visitor: Visitor) -> Response:
    admin_only(visitor)
    form = await read_form(request, visitor)
    role = _role(form.get("role"), ROLES)
    raw = form.get("account")
    async with visitor.node.sessions() as session:
        target = await session.get(Actor, int(raw)) if raw.isdigit() and len(raw) < 19 else None
        me = await session.get(Actor, visitor.actor_required().id)
        if target is None or me is None:
            raise PageError(404, _("There is no such account."))
        try:
            await change_role(session, me, target, role)
        except RoleChangeError as exc:
            if exc.reason == "self":
                raise PageError(403, _("You cannot change your own role.")) from None
            raise PageError(404, _("There is no such account.")) from None
        await session.commit()
    return redirect("/admin?done=role#accounts-heading")


async def admin_get(request: Request, visitor: Visitor) -> Response:
    return await admin_page(request, visitor)


routes = [
    Route("/admin", handler(admin_get), methods=["GET"]),
    Route("/admin/accounts/new", handler(create_account), methods=["POST"]),
    Route("/admin/accounts/role", handler(set_role), methods=["POST"]),
    Route("/admin/invites", handler(create_invite), methods=["POST"]),
    Route("/admin/invites/revoke", handler(revoke_invite), methods=["POST"]),
]
