"""Staffroom's own client API for events: ``/api/v1/staffroom/events`` and their calendars.
The composition root adds :data:`routes`."""

from __future__ import annotations

from starlette.routing import BaseRoute

from api.events import calendars, events
from api.routing import api_routes

BASE = "/api/v1/staffroom/events"

routes: list[BaseRoute] = list(
    api_routes(
        (BASE, events.create, ["POST"]),
        (BASE, events.index, ["GET"]),
        (f"{BASE}/calendar.ics", calendars.node_calendar, ["GET"]),
        (f"{BASE}/joined.ics", calendars.joined_calendar, ["GET"]),
        (f"{BASE}/feed", calendars.feed, ["GET", "POST", "DELETE"]),
        (f"{BASE}/{{id}}", events.show, ["GET"]),
        (f"{BASE}/{{id}}", events.update, ["PUT", "PATCH"]),
        (f"{BASE}/{{id}}", events.destroy, ["DELETE"]),
        (f"{BASE}/{{id}}/cancel", events.cancel, ["POST"]),
        (f"{BASE}/{{id}}/join", events.join, ["POST"]),
        (f"{BASE}/{{id}}/leave", events.leave, ["POST"]),
        (f"{BASE}/{{id}}/calendar.ics", calendars.one, ["GET"]),
        (f"{BASE}/{{id}}/participants", events.participant_list, ["GET"]),
        (f"{BASE}/{{id}}/participants/{{pid}}/approve", events.approve, ["POST"]),
        (f"{BASE}/{{id}}/participants/{{pid}}/reject", events.reject, ["POST"]),
        ("/api/v1/staffroom/communities/{id}/calendar.ics", calendars.community_calendar, ["GET"]),
    )
)
