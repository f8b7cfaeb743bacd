"""Joining the node from a browser: an invite link (``/invite/<code>``) or, when the
admin opened registrations, ``/signup``.

An invite makes the account with the invite's role, whatever the form says
(``actors.invites.redeem``); an open sign-up makes a teacher's account (the
school gives other roles by invite or from the admin's page). Both are
rate-limited per client address like signing in, and sign the new person
in. A used-up, expired, revoked or unknown invite is a 404 page that says so.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors import invites, registration
from actors.local import NameTakenError, create_person
from actors.oauth.login import MAX_PASSWORD
from actors.ratelimit import FIVE_MINUTES, Rate, bucket_for
from actors.roles import InvalidUsernameError
from storage.models import Account, Invite, Role
from web.i18n import gettext as _
from web.oauth import start_session
from web.page import Form, PageError, Visitor, handler, read_form, redirect, render


def _throttle(request: Request, visitor: Visitor) -> None:
    ip = request.client.host if request.client is not None else "unknown"
    rate = Rate(visitor.node.config.login_rate_limit, FIVE_MINUTES)
    decision = bucket_for(request.app.state, "join", rate).hit(ip)
    if not decision.allowed:
        raise PageError(
            429,
            _("Too many attempts from your network. Wait a few minutes."),
            headers=decision.headers(),
        )


async def _invite(visitor: Visitor, code: str) -> Invite:
    found = None
    if 0 < len(code) <= 100:
        async with visitor.node.sessions() as session:
            found = await invites.find(session, code)
    if found is None:
        raise PageError(
            404, _("This invite link is not valid: unknown, used up, expired or revoked.")
        )
    return found


def _page(
    visitor: Visitor,
    action: str,
    role: str,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        visitor,
        "join.html",
        status=422 if error else 200,
        action=action,
        role=role,
        error=error,
        values=values or {},
    )


def _checked(form: Form) -> tuple[str, str, str]:
    """(name, display name, password) or a PageError saying what is wrong."""
    password = form.get("password")
    if password != form.get("password_again"):
        raise PageError(422, _("The two passwords differ."))
    if len(password) < 8:
        raise PageError(422, _("The new password must have at least 8 characters."))
    if len(password) > MAX_PASSWORD:
        raise PageError(422, _("The new password is too long."))
    display_name = form.get("display_name").strip()
    if len(display_name) > 100:
        raise PageError(422, _("The name is too long."))
    return form.get("username").strip(), display_name, password


def _refusal(exc: Exception) -> str:
    if isinstance(exc, NameTakenError):
        return _("This name is already taken on this node.")
    if isinstance(exc, InvalidUsernameError):
        return _("A name is 1 to 30 letters, digits or underscores.")
    return _("This invite link is not valid: unknown, used up, expired or revoked.")


async def invite_page(request: Request, visitor: Visitor) -> Response:
    code = request.path_params["code"]
    invite = await _invite(visitor, code)
    if visitor.signed_in:
        raise PageError(403, _("You are signed in already; sign out to use an invite."))
    return _page(visitor, f"/invite/{code}", invite.role)


async def invite_submit(request: Request, visitor: Visitor) -> Response:
    code = request.path_params["code"]
    form = await read_form(request, visitor)
    _throttle(request, visitor)
    invite = await _invite(visitor, code)
    username, display_name, password = _checked(form)
    async with visitor.node.sessions() as session:
        try:
            account, _actor = await invites.redeem(
                session,
                visitor.node.config,
                code,
                username=username,
                password=password,
                display_name=display_name,
            )
        except (invites.InviteError, NameTakenError, InvalidUsernameError) as exc:
            await session.rollback()
            return _page(
                visitor, f"/invite/{code}", invite.role, error=_refusal(exc), values=form.fields
            )
        await session.commit()
    return await _welcome(request, visitor, account)


async def _welcome(request: Request, visitor: Visitor, account: Account) -> Response:
    response = redirect("/settings#profile")
    await start_session(request, response, visitor, account)
    return response


async def _open(visitor: Visitor) -> None:
    async with visitor.node.sessions() as session:
        if not await registration.is_open(session, visitor.node.config):
            raise PageError(
                403,
                _(
                    "This node takes new accounts by invite only. "
                    "Ask your school for an invite link."
                ),
            )


async def signup_page(request: Request, visitor: Visitor) -> Response:
    await _open(visitor)
    return _page(visitor, "/signup", Role.TEACHER.value)


async def signup_submit(request: Request, visitor: Visitor) -> Response:
    form = await read_form(request, visitor)
    await _open(visitor)
    _throttle(request, visitor)
    username, display_name, password = _checked(form)
    async with visitor.node.sessions() as session:
        try:
            account, _actor = await create_person(
                session,
                visitor.node.config,
                username,
                role=Role.TEACHER,
                password=password,
                display_name=display_name,
            )
        except (NameTakenError, InvalidUsernameError) as exc:
            await session.rollback()
            return _page(
                visitor, "/signup", Role.TEACHER.value, error=_refusal(exc), values=form.fields
            )
        await session.commit()
    return await _welcome(request, visitor, account)


routes = [
    Route("/invite/{code}", handler(invite_page), methods=["GET"]),
    Route("/invite/{code}", handler(invite_submit), methods=["POST"]),
    Route("/signup", handler(signup_page), methods=["GET"]),
    Route("/signup", handler(signup_submit), methods=["POST"]),
]
