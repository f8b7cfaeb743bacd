"""Events for people: the upcoming list, a month calendar, an event's page and its ``.ics``.

Visibility is the domain's (``content.events.queries``): lists show open
events, and a signed-in viewer also their own and the ones they joined; an
event outside the viewer's audience is a 404, like a missing one. Times are
shown in the viewer's zone (the event's own zone is named beside them).
Joining and leaving are buttons (CSRF-protected POSTs) calling the same
participation rules as the API.
"""

from __future__ import annotations

import calendar as month_grid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.events import feeds, participation, queries
from content.events.as2 import place_text
from content.events.calendar import calendar
from content.events.model import EventView, accepted_count, load_view
from content.events.model import participation as participation_of
from content.events.rules import EventError
from content.sanitize import sanitize_html
from storage.models import Account, Actor, ContentObject, EventRow
from web.i18n import gettext as _
from web.i18n import zone
from web.page import PageError, Visitor, handler, node_of, read_form, redirect, render


@dataclass
class Day:
    day: date
    events: list[EventRow]
    in_month: bool


def _month(raw: str | None, today: date) -> date:
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


async def index(request: Request, visitor: Visitor) -> Response:
    tz = zone(visitor.time_zone)
    today = datetime.now(tz).date()
    first = _month(request.query_params.get("month"), today)
    weeks = month_grid.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start = datetime.combine(weeks[0][0], datetime.min.time(), tz)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), datetime.min.time(), tz)
    async with visitor.node.sessions() as session:
        upcoming = await queries.find(session, visitor.actor, queries.EventQuery(limit=20))
        in_grid = await queries.find(
            session,
            visitor.actor,
            queries.EventQuery(
                start_from=start.astimezone(UTC), start_to=end.astimezone(UTC), limit=80
            ),
        )
    by_day: dict[date, list[EventRow]] = {}
    for row in in_grid:
        by_day.setdefault(row.start_at.astimezone(tz).date(), []).append(row)
    grid = [[Day(d, by_day.get(d, []), d.month == first.month) for d in week] for week in weeks]
    feed_url = None
    if visitor.account is not None:
        async with visitor.node.sessions() as session:
            feed = await feeds.feed_of(session, visitor.account)
        if feed is not None:
            feed_url = visitor.node.config.base_url + feeds.feed_path(feed.token)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render(
        visitor,
        "events.html",
        upcoming=upcoming,
        grid=grid,
        month=first,
        previous=previous.strftime("%Y-%m"),
        following=following.strftime("%Y-%m"),
        today=today,
        feed_url=feed_url,
    )


def event_id_of(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 19:
        raise PageError(404, _("This event does not exist, or you may not see it."))
    return int(raw)


async def visible(visitor: Visitor, event_id: int) -> tuple[EventView, ContentObject, Actor]:
    async with visitor.node.sessions() as session:
        try:
            _row, obj = await queries.visible_event(session, event_id, visitor.actor)
        except queries.EventNotFound:
            raise PageError(404, _("This event does not exist, or you may not see it.")) from None
        view = await load_view(session, event_id)
        organizer = await session.get(Actor, obj.author_id)
    if view is None or organizer is None or obj.deleted_at is not None:
        raise PageError(404, _("This event does not exist, or you may not see it."))
    return view, obj, organizer


async def event_page(request: Request, visitor: Visitor) -> Response:
    event_id = event_id_of(request)
    view, obj, organizer = await visible(visitor, event_id)
    state = None
    async with visitor.node.sessions() as session:
        # Ours are counted now; a remote event's figure is what its node last said.
        taking_part = (
            await accepted_count(session, event_id)
            if view.row.local
            else view.row.participant_count
        )
        if visitor.actor is not None and visitor.actor.id is not None:
            mine = await participation_of(session, event_id, visitor.actor.id)
            state = None if mine is None else mine.state
    return render(
        visitor,
        "event.html",
        view=view,
        e=view.row,
        obj=obj,
        organizer=organizer,
        description=sanitize_html(obj.content),
        place=place_text(view.row),
        state=state,
        taking_part=taking_part,
        page_url=f"{visitor.node.config.base_url}/events/{event_id}",
    )


async def event_ics(request: Request, visitor: Visitor) -> Response:
    event_id = event_id_of(request)
    view, obj, _organizer = await visible(visitor, event_id)
    body = calendar(view.row.title, [(view.row, obj)])
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="event-{event_id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


async def join_or_leave(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    await read_form(request, visitor)
    event_id = event_id_of(request)
    joining = request.url.path.endswith("/join")
    node = visitor.node
    async with node.sessions() as session:
        try:
            _row, obj = await queries.visible_event(session, event_id, actor)
        except queries.EventNotFound:
            raise PageError(404, _("This event does not exist, or you may not see it.")) from None
        view = await load_view(session, event_id)
        me = await session.get(Actor, actor.id)
        assert view is not None and me is not None
        try:
            if joining:
                if view.row.local:
                    await participation.request(session, node, view, obj, me)
                else:
                    await participation.join_remote(session, node, view, obj, me)
            elif view.row.local:
                await participation.leave(session, node, view, obj, me)
            else:
                await participation.leave_remote(session, node, view, obj, me)
        except EventError as exc:
            raise PageError(422, str(exc)) from None
        await session.commit()
    return redirect(f"/events/{event_id}")


async def feed_ics(request: Request) -> Response:
    """A calendar app's subscription: the secret address is the credential (no cookies)."""
    node = node_of(request)
    async with node.sessions() as session:
        owner = await feeds.owner_of(session, request.path_params["token"])
        body = await feeds.joined_calendar(session, owner) if owner is not None else None
    if body is None:
        return Response("Not Found", status_code=404, media_type="text/plain")
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="joined.ics"',
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


async def feed_settings(request: Request, visitor: Visitor) -> Response:
    """Make a new secret address (the old one stops) or revoke it; back to the events page."""
    visitor.actor_required()
    form = await read_form(request, visitor)
    assert visitor.account is not None
    async with visitor.node.sessions() as session:
        account = await session.get(Account, visitor.account.id)
        assert account is not None
        if form.get("action") == "revoke":
            await feeds.revoke(session, account)
        else:
            await feeds.regenerate(session, account)
        await session.commit()
    return redirect("/events#calendar-feed")


routes = [
    Route("/events", handler(index), methods=["GET"]),
    Route("/events/feed", handler(feed_settings), methods=["POST"]),
    Route("/calendars/{token}/joined.ics", feed_ics, methods=["GET"]),
    Route("/events/{id}.ics", handler(event_ics), methods=["GET"]),
    Route("/events/{id}", handler(event_page), methods=["GET"]),
    Route("/events/{id}/join", handler(join_or_leave), methods=["POST"]),
    Route("/events/{id}/leave", handler(join_or_leave), methods=["POST"]),
]
