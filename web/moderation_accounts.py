"""An account's moderation view: its state, the reports about it, its history in the
audit log, and the account actions (warn, limit, suspend, and lifting them),
each with a required reason; staff only, like every moderation page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.moderation import actions, audit, reports
from storage.models import Actor
from web.i18n import gettext as _
from web.moderation_pages import (
    ACCOUNT_KINDS,
    LIFT_ACTIONS,
    act_on_account,
    action_label,
    actors_of,
    required_reason,
    staff,
)
from web.page import PageError, Visitor, handler, read_form, redirect, render


async def _target(visitor: Visitor, raw: str) -> Actor:
    async with visitor.node.sessions() as session:
        actor = await session.get(Actor, int(raw)) if raw.isdigit() and len(raw) < 19 else None
    if actor is None:
        raise PageError(404, _("There is no such account."))
    return actor


async def account_page(request: Request, visitor: Visitor) -> Response:
    staff(visitor)
    target = await _target(visitor, request.path_params["id"])
    assert target.id is not None
    async with visitor.node.sessions() as session:
        state = await actions.state_of(session, target.id)
        about = [
            *await reports.queue(session, target_id=target.id),
            *await reports.queue(session, target_id=target.id, resolved=True),
        ]
        history = await audit.entries(session, target_id=target.id)
        people = await actors_of(session, history)
    return render(
        visitor,
        "moderation_account.html",
        target=target,
        state=state,
        about=sorted(about, key=lambda r: r.id or 0, reverse=True),
        history=history,
        people=people,
        action_label=action_label,
        done=request.query_params.get("done") == "1",
    )


async def account_submit(request: Request, visitor: Visitor) -> Response:
    me = staff(visitor)
    form = await read_form(request, visitor)
    target = await _target(visitor, request.path_params["id"])
    what = form.get("action")
    if what not in ACCOUNT_KINDS and what not in LIFT_ACTIONS:
        raise PageError(400, _("The form could not be read."))
    reason = required_reason(form)
    async with visitor.node.sessions() as session:
        try:
            await act_on_account(session, me, target, what, reason, node=visitor.node)
        except actions.ModerationError as exc:
            why = _("This action cannot be taken: %(why)s") % {"why": str(exc)}
            raise PageError(422, why) from None
        await session.commit()
    return redirect(f"/admin/accounts/{target.id}?done=1")


routes = [
    Route("/admin/accounts/{id}", handler(account_page), methods=["GET"]),
    Route("/admin/accounts/{id}", handler(account_submit), methods=["POST"]),
]
