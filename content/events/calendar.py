"""iCalendar (``.ics``) for an event, a person's events, a community's and the node's.

Built with the ``icalendar`` library. Each event is a ``VEVENT`` whose
``DTSTART``/``DTEND`` carry the event's own zone (``TZID``), with a
``VTIMEZONE`` for every zone used, so a calendar app shows the time the
organizer meant and converts it right; ``UID`` is the event's ActivityPub
id, so a re-imported calendar updates instead of duplicating. A cancelled
event says ``STATUS:CANCELLED``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from icalendar import Calendar, Event, Timezone, vText

from content.events.as2 import place_text, zone_of
from content.sanitize import plain_text
from storage.models import ContentObject, EventRow
from storage.types import utcnow

PRODID = "-//Staffroom//Events//EN"


def _vevent(row: EventRow, obj: ContentObject) -> Event:
    zone = zone_of(row.timezone)
    event = Event()
    event.add("uid", obj.ap_id)
    event.add("dtstamp", utcnow())
    event.add("dtstart", row.start_at.astimezone(zone))
    event.add("dtend", row.end_at.astimezone(zone))
    event.add("summary", row.title)
    description = plain_text(obj.content) or ""
    if description:
        event.add("description", description[:10_000])
    where = place_text(row)
    if where:
        event.add("location", vText(where))
    elif row.online_url:
        event.add("location", vText(row.online_url))
    if row.latitude is not None and row.longitude is not None:
        event.add("geo", (row.latitude, row.longitude))
    event.add("url", obj.url or obj.ap_id)
    event.add("status", row.status)
    event.add("categories", [row.kind])
    if row.updated_at is not None:
        event.add("last-modified", row.updated_at)
    return event


def calendar(name: str, events: Sequence[tuple[EventRow, ContentObject]]) -> bytes:
    """An ``.ics`` document with ``events`` (rows with their live objects)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    zones = sorted({row.timezone for row, _obj in events})
    for row, obj in events:
        cal.add_component(_vevent(row, obj))
    for zone in zones:
        if zone == "UTC":
            continue
        first = min(r.start_at for r, _o in events if r.timezone == zone)
        last = max(r.end_at for r, _o in events if r.timezone == zone)
        cal.add_component(
            Timezone.from_tzinfo(
                zone_of(zone),
                tzid=zone,
                first_date=date(first.year, 1, 1),
                last_date=date(last.year + 1, 1, 1),
            )
        )
    return bytes(cal.to_ical())
