"""Pages for everyone: the front page, a profile, a post with its thread, the public timelines.

Only what the viewer may read, by the same domain rules as the API
(``content.timelines``, ``content.threads``, ``content.account_posts``,
``content.visibility``): a followers-only or direct post is a 404 to
everyone outside its audience, exactly like one that does not exist.

The URLs of our objects are shared with their ActivityPub documents:
``/users/NAME`` and ``/users/NAME/statuses/ID`` answer a browser with the
page and an ActivityPub client (``Accept: application/activity+json``)
with the document (the routes of ``actors`` and ``content``); every object
page names that document in ``<link rel="alternate">`` and carries
OpenGraph tags, so a link pasted into Mastodon shows a card.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import actors.routes
import content.routes
from actors.graph import find_follow
from actors.http import wants_activity_json
from actors.local import account_by_name
from actors.roles import INSTANCE_ACTOR_USERNAME
from content import threads, timelines
from content.account_posts import StatusFilters, account_statuses
from content.events import queries as event_queries
from content.lookup import find_object
from content.materials import library
from content.materials.model import load_views
from content.sanitize import sanitize_html
from content.visibility import may_read
from storage.models import Actor, ContentObject, FollowState, Role
from web.communities import FRONT_COMMUNITIES, community_page, kind_labels, level_labels
from web.communities import entries as community_entries
from web.i18n import gettext as _
from web.page import PageError, Visitor, handler, redirect, render
from web.views import is_material, paging, post_view, post_views

FRONT_MATERIALS = 6
FRONT_POSTS = 10
FRONT_EVENTS = 5


async def front(request: Request, visitor: Visitor) -> Response:
    node = visitor.node
    async with node.sessions() as session:
        materials = await library.find(
            session, visitor.actor, library.LibraryQuery(), paging(None, FRONT_MATERIALS)
        )
        material_views = await load_views(session, materials)
        entries = await timelines.public(
            session, visitor.actor, paging(None, FRONT_POSTS), local=True
        )
        posts = await post_views(session, [e.item for e in entries], visitor.actor)
        events = await event_queries.find(
            session, visitor.actor, event_queries.EventQuery(limit=FRONT_EVENTS)
        )
    communities = await community_entries(visitor, FRONT_COMMUNITIES)
    return render(
        visitor,
        "front.html",
        communities=communities,
        levels=level_labels(),
        kinds=kind_labels(),
        events=events,
        description=str(visitor.settings.get("node.description") or node.config.node_description),
        rules=str(visitor.settings.get("node.rules") or ""),
        materials=material_views,
        posts=posts,
    )


async def public_timeline(request: Request, visitor: Visitor) -> Response:
    scope = request.path_params["scope"]
    if scope not in {"local", "federated"}:
        raise PageError(404, _("There is no such page."))
    page = paging(request.query_params.get("max_id"))
    async with visitor.node.sessions() as session:
        entries = await timelines.public(
            session, visitor.actor, page, local=True if scope == "local" else None
        )
        posts = await post_views(session, [e.item for e in entries], visitor.actor)
    older = f"?max_id={entries[-1].cursor}" if len(entries) >= page.limit else None
    title = _("Posts on this node") if scope == "local" else _("Posts from every node we know")
    return render(visitor, "timeline.html", title=title, posts=posts, older=older, scope=scope)


async def _local_person(username: str) -> None:
    if username.lower() == INSTANCE_ACTOR_USERNAME:
        raise PageError(404, _("There is no such person here."))


async def profile(request: Request, visitor: Visitor) -> Response:
    username = request.path_params["username"]
    await _local_person(username)
    page = paging(request.query_params.get("max_id"))
    async with visitor.node.sessions() as session:
        found = await account_by_name(session, username)
    if found is None:  # a community's Group actor shares the people's URLs
        return await community_page(request, visitor, username)
    if found[1].gone:  # an erased account (its rows go while its erasure runs)
        raise PageError(404, _("There is no such person here."))
    async with visitor.node.sessions() as session:
        account, actor = found
        # A child's profile is not a public page: only people signed in here see it.
        if account.role == Role.STUDENT and (visitor.actor is None or not visitor.actor.local):
            raise PageError(404, _("There is no such person here."))
        items = await account_statuses(session, actor, visitor.actor, page, StatusFilters())
        posts = await post_views(session, items, visitor.actor)
        materials = await library.find(
            session,
            visitor.actor,
            library.LibraryQuery(author_id=actor.id),
            paging(None, FRONT_MATERIALS),
        )
        material_views = await load_views(session, materials)
        relation = await _relation(session, visitor, actor)
    older = f"?max_id={items[-1].id}" if len(items) >= page.limit else None
    return render(
        visitor,
        "profile.html",
        person=actor,
        role=account.role,
        bio=sanitize_html(actor.summary),
        posts=posts,
        materials=material_views,
        older=older,
        relation=relation,
    )


async def _relation(session: AsyncSession, visitor: Visitor, actor: Actor) -> str | None:
    """``self``, ``following``, ``requested`` or ``none`` for a signed-in viewer."""
    if visitor.actor is None:
        return None
    if visitor.actor.id == actor.id:
        return "self"
    follow = await find_follow(session, visitor.actor.id, actor.id)
    if follow is None:
        return "none"
    return "following" if follow.state == FollowState.ACCEPTED else "requested"


async def _thread_page(visitor: Visitor, obj: ContentObject, author: Actor) -> Response:
    async with visitor.node.sessions() as session:
        if obj.deleted_at is not None or not await may_read(session, obj, author, visitor.actor):
            raise PageError(404, _("This post does not exist, or you may not see it."))
        before = await threads.ancestors(session, obj, visitor.actor)
        after = await threads.descendants(session, obj, visitor.actor)
        views = await post_views(session, [*before, obj, *after], visitor.actor)
    focus = next(v for v in views if v.obj.id == obj.id)
    # By id: comparing the rows themselves compares every field, for every pair.
    earlier = {o.id for o in before}
    return render(
        visitor,
        "post.html",
        focus=focus,
        before=[v for v in views if v.obj.id in earlier],
        after=[v for v in views if v.obj.id != obj.id and v.obj.id not in earlier],
    )


async def local_post(request: Request, visitor: Visitor) -> Response:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 19:
        raise PageError(404, _("This post does not exist, or you may not see it."))
    async with visitor.node.sessions() as session:
        found = await find_object(
            session, visitor.node.config, request.path_params["username"], int(raw)
        )
    if found is None:
        raise PageError(404, _("This post does not exist, or you may not see it."))
    obj, author = found
    if is_material(obj):
        return redirect(f"/materials/{obj.id}")
    if obj.type == "Event":
        return redirect(f"/events/{obj.id}")
    return await _thread_page(visitor, obj, author)


async def any_post(request: Request, visitor: Visitor) -> Response:
    """Our page of any stored post (a remote one reached from a timeline)."""
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 19:
        raise PageError(404, _("This post does not exist, or you may not see it."))
    async with visitor.node.sessions() as session:
        obj = await session.get(ContentObject, int(raw))
        author = None if obj is None else await session.get(Actor, obj.author_id)
        view = None if obj is None else await post_view(session, obj, visitor.actor)
    if obj is None or author is None or view is None:
        raise PageError(404, _("This post does not exist, or you may not see it."))
    if obj.local:
        return redirect(view.page_url)
    return await _thread_page(visitor, obj, author)


# --- our object URLs: the page for a browser, the document for ActivityPub ---

_profile_endpoint = handler(profile)
_post_endpoint = handler(local_post)


async def actor_url(request: Request) -> Response:
    if wants_activity_json(request):
        return await actors.routes.actor_document(request)
    return await _profile_endpoint(request)


async def object_url(request: Request) -> Response:
    if wants_activity_json(request):
        return await content.routes.object_get(request)
    return await _post_endpoint(request)


routes = [
    Route("/", handler(front), methods=["GET"]),
    Route("/public/{scope}", handler(public_timeline), methods=["GET"]),
    Route("/@{username}", _profile_endpoint, methods=["GET"]),
    Route("/@{username}/{id}", _post_endpoint, methods=["GET"]),
    Route("/users/{username}", actor_url, methods=["GET"]),
    Route("/users/{username}/statuses/{id}", object_url, methods=["GET"]),
    Route("/statuses/{id}", handler(any_post), methods=["GET"]),
]
