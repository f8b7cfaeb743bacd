"""The moderation pages: the queue, a report with its posts, actions and history,
the audit log, and the domain policy (blocks and the allowlist).

Only admins and moderators (``actors.roles.STAFF_ROLES``) reach them; anyone
else gets a 403 page. Every change is one call of ``content.moderation``
(which applies the rule and writes the audit log); this module reads the
form, insists on a reason where a person is acted on, and draws the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors import node_settings
from actors.context import NodeContext
from content.moderation import actions, audit, domains, held, reports
from content.sanitize import sanitize_html
from storage.models import Actor, ContentObject, ModerationAction, Report
from storage.repos.domain_rules import ALLOWLIST_MODE
from web.i18n import gettext as _
from web.page import Form, PageError, Visitor, handler, read_form, redirect, render

MAX_REASON = 5000
PAGE = 50
# Form value -> the account action type of ``actions.account_action``.
ACCOUNT_KINDS = {"warn": "none", "silence": "silence", "suspend": "suspend"}
POST_ACTIONS = ("delete_post", "mark_sensitive")
REPORT_ACTIONS = ("assign", "unassign", "resolve", "reopen")
LIFT_ACTIONS = ("unsilence", "unsuspend")


def staff(visitor: Visitor) -> Actor:
    actor = visitor.actor_required()
    if not visitor.is_staff:
        raise PageError(403, _("Only the node's moderators may open this page."))
    return actor


def action_label(code: str) -> str:
    """The audit log's action names, in the page's language."""
    labels = {
        "warn": _("Warning"),
        "delete_post": _("Post deleted"),
        "mark_sensitive": _("Post marked sensitive"),
        "limit": _("Account limited"),
        "unlimit": _("Limit lifted"),
        "sensitize": _("Media marked sensitive"),
        "unsensitize": _("Sensitive mark lifted"),
        "suspend": _("Account suspended"),
        "unsuspend": _("Suspension lifted"),
        "disable": _("Sign-in disabled"),
        "enable": _("Sign-in enabled"),
        "report_assign": _("Report assigned"),
        "report_unassign": _("Report unassigned"),
        "report_resolve": _("Report resolved"),
        "report_reopen": _("Report reopened"),
        "domain_block": _("Domain blocked"),
        "domain_unblock": _("Domain unblocked"),
        "domain_allow": _("Domain allowed"),
        "domain_disallow": _("Domain removed from the allowlist"),
        "allowlist_mode": _("Allowlist mode changed"),
    }
    return labels.get(code, code)


@dataclass
class ReportView:
    report: Report
    reporter: Actor | None
    target: Actor | None
    assigned: Actor | None
    posts: list[ContentObject]

    @property
    def held(self) -> bool:
        return self.report.category == held.HELD

    @property
    def acted_on(self) -> Actor | None:
        """Whom the account actions reach: a held message's sender, never the student."""
        return self.reporter if self.held else self.target

    @property
    def held_html(self) -> Markup:
        """A held message's text (sanitized), for the moderator's eyes only."""
        body = (self.report.extra or {}).get("held_activity")
        obj = body.get("object") if isinstance(body, dict) else None
        content = obj.get("content") if isinstance(obj, dict) else None
        text = sanitize_html(content if isinstance(content, str) else "")
        return Markup(text)  # noqa: S704 (sanitized just now)

    @property
    def origin(self) -> str:
        """Who reported it as the page may say: a local person's name, else their node."""
        return str((self.report.extra or {}).get("origin") or "")


async def _actor(session: AsyncSession, actor_id: int | None) -> Actor | None:
    return None if actor_id is None else await session.get(Actor, actor_id)


async def _view(session: AsyncSession, report: Report) -> ReportView:
    return ReportView(
        report,
        await _actor(session, report.reporter_id),
        await _actor(session, report.target_id),
        await _actor(session, report.assigned_id),
        await reports.report_posts(session, report),
    )


async def actors_of(session: AsyncSession, rows: list[ModerationAction]) -> dict[int, Actor]:
    ids = {i for r in rows for i in (r.moderator_id, r.target_actor_id) if i is not None}
    found = {i: await session.get(Actor, i) for i in ids}
    return {i: a for i, a in found.items() if a is not None}


async def queue_page(request: Request, visitor: Visitor) -> Response:
    staff(visitor)
    resolved = request.query_params.get("resolved") == "1"
    async with visitor.node.sessions() as session:
        rows = [await _view(session, r) for r in await reports.queue(session, resolved=resolved)]
    return render(visitor, "moderation_queue.html", rows=rows, resolved=resolved)


async def _report(session: AsyncSession, raw: str) -> Report:
    report = await session.get(Report, int(raw)) if raw.isdigit() and len(raw) < 19 else None
    if report is None:
        raise PageError(404, _("There is no such report."))
    return report


async def report_page(request: Request, visitor: Visitor) -> Response:
    staff(visitor)
    async with visitor.node.sessions() as session:
        view = await _view(session, await _report(session, request.path_params["id"]))
        history = await audit.entries(session, report_id=view.report.id)
        if view.acted_on is not None and view.acted_on.id is not None:
            earlier = await audit.entries(session, target_id=view.acted_on.id)
            seen = {row.id for row in history}
            history = sorted(
                [*history, *(r for r in earlier if r.id not in seen)],
                key=lambda r: r.id or 0,
                reverse=True,
            )
            state = await actions.state_of(session, view.acted_on.id)
        else:
            state = None
        people = await actors_of(session, history)
    return render(
        visitor,
        "moderation_report.html",
        r=view,
        state=state,
        history=history,
        people=people,
        action_label=action_label,
        done=request.query_params.get("done") == "1",
    )


def required_reason(form: Form) -> str:
    reason = form.get("reason").strip()
    if not reason:
        raise PageError(422, _("Say why: a reason is required for this action."))
    if len(reason) > MAX_REASON:
        raise PageError(422, _("The text is too long."))
    return reason


async def act_on_account(
    session: AsyncSession,
    me: Actor,
    target: Actor,
    what: str,
    reason: str,
    *,
    report_id: int | None = None,
    node: NodeContext | None = None,
) -> None:
    """Warn, limit, suspend, or lift a limit or suspension (``what`` is the form's value)."""
    if what == "unsilence":
        await actions.set_account_flag(session, me, target, "limited", False, reason)
    elif what == "unsuspend":
        await actions.unsuspend(session, me, target, reason)
    else:
        await actions.account_action(
            session, me, target, ACCOUNT_KINDS[what], reason, report_id=report_id, node=node
        )


async def _act(
    session: AsyncSession, visitor: Visitor, me: Actor, view: ReportView, form: Form
) -> None:
    what = form.get("action")
    report_id = view.report.id
    if what == "assign":
        await reports.assign(session, view.report, me)
    elif what == "unassign":
        await reports.assign(session, view.report, None)
    elif what == "resolve":
        await reports.resolve(
            session, view.report, me, reason=form.get("reason").strip()[:MAX_REASON]
        )
    elif what == "reopen":
        await reports.reopen(session, view.report, me)
    elif what == "release":
        try:
            await held.release(session, visitor.node, me, view.report)
        except held.ReleaseError:
            raise PageError(422, _("This message cannot be released.")) from None
    elif what in POST_ACTIONS:
        reason = required_reason(form)
        post = next((p for p in view.posts if str(p.id) == form.get("post")), None)
        if post is None:
            raise PageError(422, _("That post is not part of this report."))
        if what == "delete_post":
            await actions.delete_post_as_moderator(
                session, visitor.node, me, post, reason, report_id=report_id
            )
        else:
            await actions.mark_sensitive(session, me, post, reason, report_id=report_id)
    elif what in ACCOUNT_KINDS or what in LIFT_ACTIONS:
        reason = required_reason(form)
        if view.acted_on is None:
            raise PageError(422, _("The reported account is no longer stored here."))
        await act_on_account(
            session, me, view.acted_on, what, reason, report_id=report_id, node=visitor.node
        )
    else:
        raise PageError(400, _("The form could not be read."))


async def report_submit(request: Request, visitor: Visitor) -> Response:
    me = staff(visitor)
    form = await read_form(request, visitor)
    async with visitor.node.sessions() as session:
        view = await _view(session, await _report(session, request.path_params["id"]))
        try:
            await _act(session, visitor, me, view, form)
        except actions.ModerationError as exc:
            raise PageError(
                422, _("This action cannot be taken: %(why)s") % {"why": str(exc)}
            ) from None
        await session.commit()
    return redirect(f"/admin/reports/{view.report.id}?done=1")


async def audit_page(request: Request, visitor: Visitor) -> Response:
    staff(visitor)
    raw = request.query_params.get("max_id", "")
    max_id = int(raw) if raw.isdigit() and len(raw) < 19 else None
    async with visitor.node.sessions() as session:
        rows = await audit.entries(session, limit=PAGE, max_id=max_id)
        people = await actors_of(session, rows)
    older = rows[-1].id if len(rows) == PAGE else None
    return render(
        visitor,
        "moderation_audit.html",
        rows=rows,
        people=people,
        older=older,
        action_label=action_label,
    )


async def domains_page(request: Request, visitor: Visitor) -> Response:
    staff(visitor)
    async with visitor.node.sessions() as session:
        rows = await domains.policies(session)
        allowlist = bool(await node_settings.read(session, ALLOWLIST_MODE))
    return render(
        visitor,
        "moderation_domains.html",
        rows=rows,
        allowlist=allowlist,
        severities=domains.SEVERITIES,
        done=request.query_params.get("done") == "1",
    )


async def domains_submit(request: Request, visitor: Visitor) -> Response:
    me = staff(visitor)
    form = await read_form(request, visitor)
    what = form.get("action")
    domain = form.get("domain").strip()
    async with visitor.node.sessions() as session:
        try:
            if what == "block":
                await domains.block(
                    session,
                    domain,
                    severity=form.get("severity"),
                    reject_media=form.checked("reject_media"),
                    reject_reports=form.checked("reject_reports"),
                    public_comment=form.get("public_comment").strip(),
                    private_comment=required_reason(form),
                    moderator=me,
                )
            elif what == "unblock":
                await domains.unblock(session, domain, moderator=me)
            elif what == "allow":
                await domains.allow(session, domain, moderator=me)
            elif what == "disallow":
                await domains.disallow(session, domain, moderator=me)
            elif what == "allowlist":
                await domains.set_allowlist_mode(session, form.checked("enabled"), moderator=me)
            else:
                raise PageError(400, _("The form could not be read."))
        except domains.DomainPolicyError:
            raise PageError(422, _("This is not a domain this node can use.")) from None
        await session.commit()
    visitor.node.gate.invalidate()
    return redirect("/admin/domains?done=1")


routes = [
    Route("/admin/reports", handler(queue_page), methods=["GET"]),
    Route("/admin/reports/{id}", handler(report_page), methods=["GET"]),
    Route("/admin/reports/{id}", handler(report_submit), methods=["POST"]),
    Route("/admin/audit", handler(audit_page), methods=["GET"]),
    Route("/admin/domains", handler(domains_page), methods=["GET"]),
    Route("/admin/domains", handler(domains_submit), methods=["POST"]),
]
