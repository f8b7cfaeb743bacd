"""Making a community and running it from the node's own pages.

``/communities/new`` creates one (the signed-in person owns it), as
``POST /api/v1/staffroom/communities`` does. ``/communities/NAME/manage``
is for its owner and moderators (a 403 page for anyone else): its settings,
the join requests (approve, reject), the members (remove, ban) and its
posts (pin, lock the thread, remove). Every change is a CSRF-checked form
calling the same domain functions as the API, so the members' nodes hear
of it the same way (``Accept``/``Reject``, ``Add``/``Remove``,
``Announce{Delete}``). Visibility is chosen once, at creation: posts already
delivered to members cannot be made public, nor public ones private.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.communities import manage, membership, moderation
from content.communities.manage import CommunityDraft, CommunityError
from storage.models import Actor, Community, ContentObject
from storage.repos.peers import members_only_hosts
from web.communities import kind_labels, level_labels
from web.i18n import gettext as _
from web.page import Form, PageError, Visitor, handler, read_form, redirect, render

POLICY_FIELDS = ("join_policy", "posting_policy")


def _subjects(raw: str) -> list[str]:
    return [s.strip().lower()[:64] for s in raw.replace(";", ",").split(",") if s.strip()][:20]


def _choices() -> dict[str, Any]:
    return {
        "levels": level_labels(),
        "kinds": kind_labels(),
        "joins": {
            "open": _("Open to everyone"),
            "approval": _("A moderator approves each member"),
            "invitation": _("By invitation"),
        },
        "postings": {
            "members": _("Members start threads"),
            "moderators": _("Only moderators start threads (an announcement channel)"),
        },
    }


async def new_form(request: Request, visitor: Visitor) -> Response:
    visitor.actor_required()
    return render(visitor, "community_new.html", values={}, error=None, **_choices())


async def create(request: Request, visitor: Visitor) -> Response:
    me = visitor.actor_required()
    form = await read_form(request, visitor)
    draft = CommunityDraft(
        name=form.get("name").strip(),
        display_name=form.get("display_name").strip(),
        description=form.get("description").strip(),
        rules=form.get("rules").strip(),
        subjects=_subjects(form.get("subjects")),
        level=form.get("level"),
        kind=form.get("kind"),
        join_policy=form.get("join_policy", "open"),
        posting_policy=form.get("posting_policy", "members"),
        visibility="members" if form.get("visibility") == "members" else "public",
    )
    async with visitor.node.sessions() as session:
        owner = await session.get(Actor, me.id)
        try:
            actor, _settings = await manage.create_community(
                session, visitor.node.config, draft, owner
            )
        except CommunityError as exc:
            return render(
                visitor,
                "community_new.html",
                status=422,
                values=form.fields,
                error=str(exc),
                **_choices(),
            )
        await session.commit()
    return redirect(f"/@{quote(actor.username, safe='')}")


async def _moderated(
    session: AsyncSession, visitor: Visitor, name: str
) -> tuple[Actor, Community, Actor]:
    """(the community, its settings, the acting moderator), or the 404/403 page."""
    me = visitor.actor_required()
    found = await manage.community_by_name(session, name)
    if found is None or found[0].gone:
        raise PageError(404, _("There is no such community here."))
    moderator = await session.get(Actor, me.id)
    if moderator is None or not await manage.is_moderator(session, found[0], moderator):
        raise PageError(403, _("Only the community's moderators may do that."))
    return found[0], found[1], moderator


async def manage_page(request: Request, visitor: Visitor) -> Response:
    name = request.path_params["name"]
    async with visitor.node.sessions() as session:
        group, community, _me = await _moderated(session, visitor, name)
        waiting = await membership.pending(session, group)
        members = await membership.members(session, group)
        posts = await moderation.held_posts(session, group)
        roles = {m.id for m in await manage.moderators(session, group)}
        owner = await manage.owner_of(session, group)
        # Members on servers that do not keep members-only posts receive none of them.
        blind: set[str] = set()
        if community.visibility == "members":
            remote = {m.domain for m in members if not m.local}
            blind = remote - await members_only_hosts(session, remote)
    return render(
        visitor,
        "community_manage.html",
        group=group,
        community=community,
        waiting=waiting,
        members=members,
        posts=posts,
        roles=roles,
        owner=owner,
        blind=blind,
        saved=request.query_params.get("saved") == "1",
        **_choices(),
    )


def _back(group: Actor, anchor: str = "", saved: bool = False) -> Response:
    query = "?saved=1" if saved else ""
    return redirect(f"/communities/{quote(group.username, safe='')}/manage{query}{anchor}")


async def save_settings(request: Request, visitor: Visitor) -> Response:
    form = await read_form(request, visitor)
    async with visitor.node.sessions() as session:
        group, community, _me = await _moderated(session, visitor, request.path_params["name"])
        try:
            await manage.update_community(
                session,
                group,
                community,
                display_name=form.get("display_name").strip(),
                description=form.get("description").strip(),
                rules=form.get("rules").strip(),
                subjects=_subjects(form.get("subjects")),
                level=form.get("level"),
                kind=form.get("kind"),
                join_policy=form.get("join_policy") or None,
                posting_policy=form.get("posting_policy") or None,
            )
        except CommunityError as exc:
            raise PageError(422, str(exc)) from None
        await session.commit()
    return _back(group, "#settings", saved=True)


def _number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 19:
        raise PageError(404, _("There is no such account or post here."))
    return int(raw)


async def act_on_member(request: Request, visitor: Visitor) -> Response:
    """Approve or reject a join request; remove or ban a member."""
    form = await read_form(request, visitor)
    verb = request.path_params["action"]
    node = visitor.node
    async with node.sessions() as session:
        group, _community, _me = await _moderated(session, visitor, request.path_params["name"])
        target = await session.get(Actor, _number(request.path_params["account_id"]))
        if target is None or verb not in ("approve", "reject", "remove", "ban"):
            raise PageError(404, _("There is no such account or post here."))
        try:
            if verb == "approve":
                await membership.approve_request(session, node, group, target)
            elif verb == "reject":
                await membership.reject_request(session, node, group, target)
            elif verb == "remove":
                await membership.remove_member(session, node, group, target)
            else:
                await membership.ban(session, node, group, target, _form_reason(form))
        except CommunityError as exc:
            raise PageError(422, str(exc)) from None
        await session.commit()
    return _back(group, "#requests" if verb in ("approve", "reject") else "#members")


def _form_reason(form: Form) -> str:
    return form.get("reason").strip()[:1000]


async def act_on_post(request: Request, visitor: Visitor) -> Response:
    """Pin or unpin a post, lock or unlock its thread, or remove it."""
    await read_form(request, visitor)
    verb = request.path_params["action"]
    node = visitor.node
    async with node.sessions() as session:
        group, _community, me = await _moderated(session, visitor, request.path_params["name"])
        obj = await session.get(ContentObject, _number(request.path_params["object_id"]))
        if obj is None or verb not in ("pin", "unpin", "lock", "unlock", "delete"):
            raise PageError(404, _("There is no such account or post here."))
        try:
            if verb == "delete":
                await moderation.moderate_delete(session, node, group, me, obj)
            elif verb in ("pin", "unpin"):
                await moderation.set_pinned(session, node, group, me, obj, verb == "pin")
            else:
                await moderation.set_locked(session, group, me, obj, verb == "lock")
        except CommunityError as exc:
            raise PageError(422, str(exc)) from None
        await session.commit()
    return _back(group, "#posts")


routes = [
    Route("/communities/new", handler(new_form), methods=["GET"]),
    Route("/communities/new", handler(create), methods=["POST"]),
    Route("/communities/{name}/manage", handler(manage_page), methods=["GET"]),
    Route("/communities/{name}/manage", handler(save_settings), methods=["POST"]),
    Route(
        "/communities/{name}/members/{account_id}/{action}",
        handler(act_on_member),
        methods=["POST"],
    ),
    Route("/communities/{name}/posts/{object_id}/{action}", handler(act_on_post), methods=["POST"]),
]
