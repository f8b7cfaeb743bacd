"""Pages for a signed-in teacher: home timeline, notifications, compose, and the buttons.

Each action is one domain call (``content.compose``, ``content.interactions``,
``actors.graph``) in one transaction; the same rules as the API apply (a post
one may not read cannot be liked, a direct post cannot be boosted). Buttons
are small forms (CSRF-protected POSTs) that come back to the page they were
on (``next=``, never another site).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.graph import GraphError, approve, follow, pending_requests, reject, unfollow
from actors.remote import actor_by_ap_id
from content import notifications, timelines
from content.communities import manage
from content.compose import ComposeError, Draft, ParentNotFoundError, PollDraft, post_status
from content.interactions import InteractionError, announce, like, unannounce, unlike
from content.limits import COMPOSE_LIMITS, MAX_MEDIA_ATTACHMENTS, MAX_POLL_OPTIONS
from content.media import MediaError, store_upload
from content.polls import PollError
from content.resolve import resolve_url
from storage.models import Actor, CommunityVisibility, ContentObject, Follow, Visibility
from web.i18n import gettext as _
from web.page import PageError, Visitor, handler, read_form, redirect, render, safe_next
from web.views import paging, post_view, post_views

UPLOAD_SLACK = 64 * 1024
POLL_DURATIONS = (3600, 86400, 7 * 86400)


async def home(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    page = paging(request.query_params.get("max_id"))
    async with visitor.node.sessions() as session:
        entries = await timelines.home(session, actor, page)
        posts = await post_views(session, [e.item for e in entries], actor)
    older = f"?max_id={entries[-1].cursor}" if len(entries) >= page.limit else None
    return render(visitor, "timeline.html", title=_("Home"), posts=posts, older=older, scope="home")


async def notifications_page(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    raw = request.query_params.get("max_id", "")
    max_id = int(raw) if raw.isdigit() and len(raw) < 20 else None
    async with visitor.node.sessions() as session:
        found = await notifications.recent(session, actor, max_id=max_id)
        requests = await pending_requests(session, actor)
    older = f"?max_id={found[-1][0].id}" if len(found) >= 30 else None
    return render(visitor, "notifications.html", items=found, requests=requests, older=older)


async def compose_page(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    raw = request.query_params.get("in_reply_to", "")
    parent = None
    if raw.isdigit() and len(raw) < 20:
        async with visitor.node.sessions() as session:
            obj = await session.get(ContentObject, int(raw))
            parent = None if obj is None else await post_view(session, obj, actor)
        if parent is not None and not await _readable(visitor, parent.obj, actor):
            parent = None
    return _compose_form(visitor, parent=parent)


async def _readable(visitor: Visitor, obj: ContentObject, actor: Actor) -> bool:
    async with visitor.node.sessions() as session:
        return await timelines.readable(session, obj, actor)


def _compose_form(
    visitor: Visitor,
    *,
    parent: object = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    default = visitor.choices.default_visibility or "public"
    return render(
        visitor,
        "compose.html",
        status=422 if error else 200,
        parent=parent,
        error=error,
        values=values or {},
        default_visibility=default,
        max_characters=COMPOSE_LIMITS.max_characters,
        poll_options=MAX_POLL_OPTIONS,
        image_fields=IMAGE_FIELDS,
        image_mb=COMPOSE_LIMITS.media.image_bytes // (1024 * 1024),
    )


def _visibility(raw: str) -> Visibility:
    return Visibility(raw) if raw in {v.value for v in Visibility} else Visibility.PUBLIC


def _poll(form_lines: str, duration: str, multiple: bool) -> PollDraft | None:
    options = [line.strip() for line in form_lines.splitlines() if line.strip()]
    if not options:
        return None
    seconds = int(duration) if duration.isdigit() else POLL_DURATIONS[1]
    return PollDraft(options=options, expires_in=seconds, multiple=multiple)


IMAGE_FIELDS = [("image", "image_description")] + [
    (f"image_{n}", f"image_description_{n}") for n in range(2, MAX_MEDIA_ATTACHMENTS + 1)
]


async def _community_target(visitor: Visitor, name: str) -> tuple[Actor, bool] | None:
    """Our community a post goes to (from its page): its actor, and whether members-only."""
    if not name:
        return None
    async with visitor.node.sessions() as session:
        found = await manage.community_by_name(session, name)
    if found is None or found[0].gone:
        raise PageError(404, _("There is no such community here."))
    return found[0], found[1].visibility == CommunityVisibility.MEMBERS


def _to_community(text: str, group: Actor, domain: str) -> str:
    """The text with ``@name@node`` in front, unless it already mentions the community
    (FEP-1b12: the mention is what makes it the community's post, as from a Mastodon app)."""
    handle = f"@{group.username}@{domain}"
    if handle.lower() in text.lower():
        return text
    return f"{handle} {text}"


async def compose(request: Request, visitor: Visitor) -> Response:
    """A post: text, visibility, content warning, up to four images with alt text or a
    poll, a reply; or a post to one of our communities (from the community's page)."""
    actor = visitor.actor_required()
    form = await read_form(
        request,
        visitor,
        max_bytes=COMPOSE_LIMITS.media.image_bytes * len(IMAGE_FIELDS) + UPLOAD_SLACK,
        max_files=len(IMAGE_FIELDS),
    )
    reply_to = form.get("in_reply_to")
    community = await _community_target(visitor, form.get("community"))
    text, visibility = form.get("status"), _visibility(form.get("visibility"))
    if community is not None:
        group, members_only = community
        text = _to_community(text, group, visitor.node.config.domain)
        # A members-only community's posts are addressed to it alone (never public).
        if members_only:
            visibility = Visibility.DIRECT
    node = visitor.node
    async with node.sessions() as session:
        try:
            media_ids = []
            for file_field, description_field in IMAGE_FIELDS:
                images = form.files.get(file_field) or []
                if not images:
                    continue
                row = await store_upload(
                    session,
                    node.config,
                    actor,
                    data=await images[0].read(),
                    declared_type=images[0].content_type or "",
                    limits=COMPOSE_LIMITS.media,
                    description=form.get(description_field) or None,
                )
                assert row.id is not None
                media_ids.append(row.id)
            draft = Draft(
                text=text,
                visibility=visibility,
                spoiler_text=form.get("spoiler_text").strip() or None,
                sensitive=bool(form.get("spoiler_text").strip()),
                language=visitor.language,
                in_reply_to_id=int(reply_to) if reply_to.isdigit() and len(reply_to) < 20 else None,
                media_ids=media_ids,
                poll=_poll(
                    form.get("poll_options"),
                    form.get("poll_duration"),
                    form.checked("poll_multiple"),
                ),
            )
            obj = await post_status(session, node, actor, draft, COMPOSE_LIMITS)
        except (ComposeError, MediaError, PollError) as exc:
            await session.rollback()
            return _compose_form(visitor, error=str(exc), values=form.fields)
        except ParentNotFoundError:
            await session.rollback()
            return _compose_form(
                visitor, error=_("The post you answer is gone."), values=form.fields
            )
        await session.commit()
        view = await post_view(session, obj, actor)
    if community is not None:
        return redirect(f"/@{quote(community[0].username, safe='')}#posts-heading")
    return redirect(view.page_url if view else "/home")


async def _post_for(visitor: Visitor, request: Request) -> ContentObject:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 19:
        raise PageError(404, _("This post does not exist, or you may not see it."))
    async with visitor.node.sessions() as session:
        obj = await session.get(ContentObject, int(raw))
    if obj is None:
        raise PageError(404, _("This post does not exist, or you may not see it."))
    return obj


async def interaction(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    form = await read_form(request, visitor)
    obj = await _post_for(visitor, request)
    action = request.path_params["action"]
    steps = {"like": like, "unlike": unlike, "boost": announce, "unboost": unannounce}
    step = steps.get(action)
    if step is None:
        raise PageError(404, _("There is no such page."))
    node = visitor.node
    async with node.sessions() as session:
        fresh = await session.get(ContentObject, obj.id)
        assert fresh is not None
        try:
            await step(session, node, actor, fresh)
        except InteractionError:
            raise PageError(404, _("This post does not exist, or you may not see it.")) from None
        await session.commit()
    return redirect(safe_next(form.get("next"), "/home"))


async def _target(visitor: Visitor, uri: str) -> Actor:
    async with visitor.node.sessions() as session:
        target = await actor_by_ap_id(session, uri)
    if target is None:
        found = await resolve_url(visitor.node, uri) if uri.startswith("http") else None
        target = found if isinstance(found, Actor) else None
    if target is None:
        raise PageError(404, _("There is no such person here."))
    return target


async def follow_submit(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    form = await read_form(request, visitor)
    target = await _target(visitor, form.get("uri"))
    async with visitor.node.sessions() as session:
        me = await session.get(Actor, actor.id)
        other = await session.get(Actor, target.id)
        assert me is not None and other is not None
        try:
            if request.url.path == "/follow":
                await follow(session, visitor.node, me, other)
            else:
                await unfollow(session, visitor.node, me, other)
        except GraphError as exc:
            raise PageError(422, str(exc)) from None
        await session.commit()
    return redirect(safe_next(form.get("next"), "/home"))


async def answer_request(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    await read_form(request, visitor)
    raw = request.path_params["id"]
    decision = request.path_params["decision"]
    if not raw.isdigit() or decision not in {"approve", "reject"}:
        raise PageError(404, _("There is no such page."))
    async with visitor.node.sessions() as session:
        row = await session.get(Follow, int(raw))
        if row is None or row.followee_id != actor.id:
            raise PageError(404, _("There is no such page."))
        await (approve if decision == "approve" else reject)(session, visitor.node, row)
        await session.commit()
    return redirect("/notifications")


routes = [
    Route("/home", handler(home), methods=["GET"]),
    Route("/notifications", handler(notifications_page), methods=["GET"]),
    Route("/compose", handler(compose_page), methods=["GET"]),
    Route("/compose", handler(compose), methods=["POST"]),
    Route("/statuses/{id}/{action}", handler(interaction), methods=["POST"]),
    Route("/follow", handler(follow_submit), methods=["POST"]),
    Route("/unfollow", handler(follow_submit), methods=["POST"]),
    Route("/follow_requests/{id}/{decision}", handler(answer_request), methods=["POST"]),
]
