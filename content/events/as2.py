"""An event on the wire: the ``Event`` Mobilizon sends and reads, and what Mastodon shows.

Our event's ``objects`` row is written from its :class:`EventRow`
(:func:`object_fields`), so the ordinary :func:`content.as2.object_to_as2`
serves it: ``startTime``, ``endTime``, ``timezone``, ``location`` (a
``Place`` with a ``PostalAddress`` and coordinates), ``joinMode``,
``participantCount``, ``maximumAttendeeCapacity`` (0 when unlimited, as
Mobilizon says it), ``remainingAttendeeCapacity``,
``anonymousParticipationEnabled``, ``isOnline``, ``ical:status``,
``category`` and our ``eventKind``, ``schoolSubject``/``grade``, the online
link as an ``attachment`` of type ``Link`` and the image as ``image``.

Mastodon turns an ``Event`` into a status from its ``content``; so the
content carries, after the description, the title, the time in the event's
zone, the place and the links: that is what a Mastodon user sees.

:func:`row_fields` reads the other way: the event columns from a stored
remote object's ``extra`` (already cut and sanitized by
:func:`content.as2.object_from_as2`).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from content.as2 import iso, parse_time
from storage.models import ContentObject, EventRow

#: Our kinds → Mobilizon's categories (it knows no seminars).
CATEGORIES = {"meeting": "MEETING", "festival": "PARTY", "contest": "GAMES"}
DEFAULT_CATEGORY = "LEARNING"
MAX_REMOTE_LENGTH = timedelta(days=366)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def remaining(row: EventRow, accepted: int) -> int | None:
    return None if row.capacity is None else max(row.capacity - accepted, 0)


def when_text(row: EventRow) -> str:
    zone = zone_of(row.timezone)
    start, end = row.start_at.astimezone(zone), row.end_at.astimezone(zone)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} - {end_text} ({row.timezone})"


def place_text(row: EventRow) -> str:
    parts = [row.place_name, row.street, row.postal_code, row.locality, row.region, row.country]
    return ", ".join(p for p in parts if p)


def _esc(value: str) -> str:
    return html.escape(value, quote=False)


def _link(url: str) -> str:
    safe = html.escape(url)
    return f'<a href="{safe}" rel="nofollow noopener noreferrer" target="_blank">{safe}</a>'


def content_html(row: EventRow, description_html: str, page_url: str) -> str:
    """The description, then what a Mastodon user needs: title, time, place, links."""
    facts = [f"<strong>{_esc(row.title)}</strong>"]
    if row.status == "CANCELLED":
        facts.append("<strong>CANCELLED</strong>")
    facts.append(f"🗓 {_esc(when_text(row))}")
    if place_text(row):
        facts.append(f"📍 {_esc(place_text(row))}")
    if row.online_url:
        facts.append(f"💻 {_link(row.online_url)}")
    facts.append(f"🔗 {_link(page_url)}")
    return description_html + "<p>" + "<br>".join(facts) + "</p>"


def location_doc(row: EventRow, base_id: str) -> dict[str, Any] | None:
    if not any((row.place_name, row.street, row.locality, row.country, row.postal_code)):
        return None
    doc: dict[str, Any] = {
        "id": f"{base_id}#place",
        "type": "Place",
        "name": row.place_name or place_text(row),
        "address": {
            "type": "PostalAddress",
            "streetAddress": row.street,
            "addressLocality": row.locality,
            "addressRegion": row.region,
            "postalCode": row.postal_code,
            "addressCountry": row.country,
        },
    }
    if row.latitude is not None and row.longitude is not None:
        doc["latitude"], doc["longitude"] = row.latitude, row.longitude
    return doc


def event_extra(
    row: EventRow, subjects: list[str], grades: list[str], accepted: int, base_id: str
) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "startTime": iso(row.start_at),
        "endTime": iso(row.end_at),
        "timezone": row.timezone,
        "joinMode": row.join_mode,
        "participantCount": accepted,
        "maximumAttendeeCapacity": row.capacity or 0,
        "remainingAttendeeCapacity": remaining(row, accepted),
        "anonymousParticipationEnabled": False,
        "isOnline": bool(row.online_url) and not place_text(row),
        "ical:status": row.status,
        "category": CATEGORIES.get(row.kind, DEFAULT_CATEGORY),
        "eventKind": row.kind,
    }
    location = location_doc(row, base_id)
    if location is not None:
        extra["location"] = location
    if subjects:
        extra["schoolSubject"] = list(subjects)
    if grades:
        extra["grade"] = list(grades)
    if row.image_url:
        extra["image"] = {"type": "Image", "url": row.image_url}
    return extra


def object_fields(
    row: EventRow,
    subjects: list[str],
    grades: list[str],
    accepted: int,
    description_html: str,
    obj: ContentObject,
) -> dict[str, Any]:
    """The ``objects`` columns of our event (name, content, links, ``extra``)."""
    attachments: list[dict[str, Any]] = []
    if row.online_url:
        # As Mobilizon sends an online address; Mastodon makes no media of a Link.
        attachments.append(
            {"type": "Link", "href": row.online_url, "mediaType": "text/html", "name": "Website"}
        )
    return {
        "name": row.title,
        "content": content_html(row, description_html, obj.url or obj.ap_id),
        "attachments": attachments,
        "extra": event_extra(row, subjects, grades, accepted, obj.ap_id),
    }


# -- reading a remote event ----------------------------------------------------------


def _text(value: Any, limit: int) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _place(location: Any) -> dict[str, Any]:
    if isinstance(location, list):
        location = next((item for item in location if isinstance(item, dict)), None)
    if not isinstance(location, dict):
        return {}
    address = location.get("address")
    address = address if isinstance(address, dict) else {}
    geo = location.get("geo") or location.get("schema:geo")
    geo = geo if isinstance(geo, dict) else location
    lat, lon = _number(geo.get("latitude")), _number(geo.get("longitude"))
    if lat is not None and not -90 <= lat <= 90:
        lat = None
    if lon is not None and not -180 <= lon <= 180:
        lon = None
    return {
        "place_name": _text(location.get("name"), 512),
        "street": _text(address.get("streetAddress"), 512),
        "locality": _text(address.get("addressLocality"), 255),
        "region": _text(address.get("addressRegion"), 255),
        "postal_code": _text(address.get("postalCode"), 64),
        "country": _text(address.get("addressCountry"), 255),
        "latitude": lat,
        "longitude": lon,
    }


def _online_url(obj: ContentObject) -> str | None:
    for item in obj.attachments:
        url = item.get("href") or item.get("url")
        if item.get("type") == "Link" and isinstance(url, str) and url.startswith("http"):
            return url[:2048]
    return None


def _image(obj: ContentObject) -> str | None:
    image = obj.extra.get("image")
    if isinstance(image, dict) and isinstance(image.get("url"), str):
        return str(image["url"])[:2048]
    for item in obj.attachments:
        media = item.get("mediaType")
        if isinstance(media, str) and media.startswith("image/"):
            return str(item.get("url"))[:2048]
    return None


def row_fields(obj: ContentObject, kinds: tuple[str, ...]) -> dict[str, Any] | None:
    """The event columns of a remote ``Event`` object, or None when it has no start."""
    extra = obj.extra
    start = parse_time(extra.get("startTime"))
    if start is None:
        return None
    end = parse_time(extra.get("endTime"))
    if end is None or end < start or end - start > MAX_REMOTE_LENGTH:
        end = start
    zone = extra.get("timezone")
    zone = zone if isinstance(zone, str) and zone_of(zone).key == zone else "UTC"
    join_mode = extra.get("joinMode")
    status = extra.get("ical:status") or extra.get("status")
    capacity = _count(extra.get("maximumAttendeeCapacity"))
    kind = extra.get("eventKind")
    return {
        "title": (obj.name or "")[:300] or "(untitled)",
        "kind": kind
        if kind in kinds
        else ("meeting" if extra.get("category") == "MEETING" else "other"),
        "start_at": start,
        "end_at": end,
        "timezone": zone,
        "online_url": _online_url(obj),
        "capacity": capacity or None,
        "join_mode": join_mode if join_mode in ("free", "restricted", "invite") else "free",
        "status": status if status in ("CONFIRMED", "TENTATIVE", "CANCELLED") else "CONFIRMED",
        "participant_count": _count(extra.get("participantCount")) or 0,
        "image_url": _image(obj),
        **_place(extra.get("location")),
    }


def codes_of(obj: ContentObject, term: str) -> list[str]:
    value = obj.extra.get(term)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [v[:64] for v in values if isinstance(v, str) and v][:30]


def is_past(row: EventRow, now: datetime) -> bool:
    return row.end_at <= now
