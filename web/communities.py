"""Communities for people: the directory, a community's page, and joining or leaving.

A community's page answers at its ``Group`` actor's own URLs (``/@NAME``,
and ``/users/NAME`` for a browser: :mod:`web.public` hands a name that is
no person's to :func:`community_page`), so a link to the group found in
Mastodon or pasted anywhere reaches it. What a viewer sees is the domain's
decision, never ours: a members-only community's posts and members are
shown only when :func:`content.communities.access.members_visible_to`
says so, and the posts themselves are the group's boosts as
:func:`content.account_posts.account_statuses` filters them for the viewer.
Joining is following the group (:func:`actors.graph.follow`), exactly what
the API does; the community's node then answers under its join policy.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.graph import GraphError, find_follow, follow, unfollow
from content.account_posts import StatusFilters, account_statuses
from content.communities import directory as listing
from content.communities import manage
from content.communities.access import members_visible_to
from content.communities.directory import DirectoryEntry
from content.communities.membership import is_banned, member_count, members
from content.sanitize import sanitize_html
from storage.models import Actor, FollowState
from web.i18n import gettext as _
from web.page import PageError, Visitor, handler, read_form, redirect, render
from web.views import paging, post_views

DIRECTORY_SIZE = 80
FRONT_COMMUNITIES = 6
SHOWN_MEMBERS = 40


def level_labels() -> dict[str, str]:
    return {
        "school": _("School"),
        "municipal": _("Municipal"),
        "regional": _("Regional"),
        "national": _("National"),
        "international": _("International"),
    }


def kind_labels() -> dict[str, str]:
    return {
        "subject_association": _("Subject association"),
        "multi_subject": _("Several subjects"),
        "creative_group": _("Creative group"),
        "interest_club": _("Interest club"),
        "parents": _("Parents"),
        "school_staff": _("School staff"),
    }


async def entries(visitor: Visitor, limit: int, **filters: str | None) -> list[DirectoryEntry]:
    """The directory as the API lists it (ours, then remote ones our members joined)."""
    async with visitor.node.sessions() as session:
        return await listing.directory(session, visitor.actor, limit=limit, **filters)


def _choice(request: Request, name: str, allowed: dict[str, str]) -> str | None:
    value = request.query_params.get(name) or None
    return value if value in allowed else None


async def directory(request: Request, visitor: Visitor) -> Response:
    levels, kinds = level_labels(), kind_labels()
    level, kind = _choice(request, "level", levels), _choice(request, "kind", kinds)
    query = (request.query_params.get("q") or "").strip()[:64] or None
    found = await entries(visitor, DIRECTORY_SIZE, level=level, kind=kind, query=query)
    return render(
        visitor,
        "communities.html",
        entries=found,
        levels=levels,
        kinds=kinds,
        level=level,
        kind=kind,
        q=query or "",
    )


async def community_page(request: Request, visitor: Visitor, name: str) -> Response:
    """The page of our community ``name`` (a 404 page when there is none)."""
    page = paging(request.query_params.get("max_id"))
    async with visitor.node.sessions() as session:
        found = await manage.community_by_name(session, name)
        if found is None or found[0].gone:
            raise PageError(404, _("There is no such person or community here."))
        actor, community = found
        insider = await members_visible_to(session, actor, visitor.actor)
        items = (
            await account_statuses(session, actor, visitor.actor, page, StatusFilters())
            if insider
            else []
        )
        posts = await post_views(session, items, visitor.actor)
        shown = (await members(session, actor))[:SHOWN_MEMBERS] if insider else []
        count = await member_count(session, actor) if insider else None
        mods = await manage.moderators(session, actor)
        state = None
        if visitor.actor is not None:
            row = await find_follow(session, visitor.actor.id, actor.id)
            state = None if row is None or row.state == FollowState.REJECTED else row.state
            if await is_banned(session, actor, visitor.actor):
                state = "banned"
            elif await manage.is_moderator(session, actor, visitor.actor):
                state = "moderator"
    older = f"?max_id={items[-1].id}" if items and len(items) >= page.limit else None
    return render(
        visitor,
        "community.html",
        group=actor,
        community=community,
        description=sanitize_html(actor.summary),
        level=level_labels().get(community.level, ""),
        kind=kind_labels().get(community.kind, ""),
        insider=insider,
        posts=posts,
        members=shown,
        count=count,
        moderators=mods,
        state=state,
        older=older,
    )


async def join_or_leave(request: Request, visitor: Visitor) -> Response:
    me = visitor.actor_required()
    await read_form(request, visitor)
    name = request.path_params["name"]
    node = visitor.node
    async with node.sessions() as session:
        found = await manage.community_by_name(session, name)
        person = await session.get(Actor, me.id)
        if found is None or found[0].gone or person is None:
            raise PageError(404, _("There is no such community here."))
        try:
            if request.url.path.endswith("/join"):
                await follow(session, node, person, found[0])
            else:
                await unfollow(session, node, person, found[0])
        except GraphError as exc:
            raise PageError(422, str(exc)) from None
        await session.commit()
    return redirect(f"/@{quote(found[0].username, safe='')}")


async def short_url(request: Request, visitor: Visitor) -> Response:
    return redirect(f"/@{quote(request.path_params['name'], safe='')}")


routes = [
    Route("/communities", handler(directory), methods=["GET"]),
    Route("/c/{name}", handler(short_url), methods=["GET"]),
    Route("/communities/{name}/join", handler(join_or_leave), methods=["POST"]),
    Route("/communities/{name}/leave", handler(join_or_leave), methods=["POST"]),
]
