"""A post's ``extra`` column: the terms only some types carry, read and written.

Polls, events, documents and teaching materials each bring terms of their
own; they are kept under their AS2 names (the shapes are listed in
:mod:`content.as2`) so that the way out is the way in. Both ways live here so
that a term added to one is not forgotten in the other.
"""

from __future__ import annotations

from typing import Any

from content.as2_values import MAX_TEXT, is_web_url, iso_or_none, short_text
from content.sanitize import plain_text
from federation.inert_text import inert_text
from federation.vocab import as_list, url_of

MATERIAL_TERMS = ("schoolSubject", "grade", "materialType", "license")
MAX_SOURCE = 100_000
# Mobilizon's event terms that are plain scalars; kept as sent and sent back.
EVENT_SCALARS = (
    "joinMode",
    "maximumAttendeeCapacity",
    "remainingAttendeeCapacity",
    "participantCount",
    "timezone",
    "category",
    "isOnline",
    "anonymousParticipationEnabled",
    "commentsEnabled",
    "status",
    "ical:status",
    "eventKind",
)
MAX_OPTIONS = 50


def _plain_json(value: Any, depth: int = 0) -> Any:
    """A bounded copy of nested plain values (for an Event's Place)."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if depth >= 3:
        return None
    if isinstance(value, list):
        return [_plain_json(v, depth + 1) for v in value[:10]]
    if isinstance(value, dict):
        return {str(k)[:64]: _plain_json(v, depth + 1) for k, v in list(value.items())[:20]}
    return None


def _question_extra(doc: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key in ("oneOf", "anyOf"):
        options = [o for o in as_list(doc.get(key)) if isinstance(o, dict)]
        if not options and key not in doc:
            continue
        extra[key] = [
            {
                "name": plain_text(short_text(option.get("name"))) or "",
                "votes": _total_items(option.get("replies")),
            }
            for option in options[:MAX_OPTIONS]
        ]
    extra["endTime"] = iso_or_none(doc.get("endTime"))
    closed = doc.get("closed")
    extra["closed"] = extra["endTime"] if closed is True else iso_or_none(closed)
    voters = doc.get("votersCount")
    extra["votersCount"] = voters if isinstance(voters, int) else None
    return extra


def _total_items(replies: Any) -> int:
    total = replies.get("totalItems") if isinstance(replies, dict) else None
    return total if isinstance(total, int) and total >= 0 else 0


def _event_extra(doc: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "startTime": iso_or_none(doc.get("startTime")),
        "endTime": iso_or_none(doc.get("endTime")),
    }
    # Mobilizon's context makes it schema.org's location, which compacts to this.
    location = doc.get("location") or doc.get("schema:location")
    if isinstance(location, dict | list):
        extra["location"] = _plain_json(location)
    elif isinstance(location, str) and location.strip() and "://" not in location:
        # gathio sends the place as a line of text: kept as the Place's name.
        extra["location"] = {"type": "Place", "name": location.strip()[:512]}
    for key in EVENT_SCALARS:
        value = doc.get(key)
        if isinstance(value, str | int | float | bool):
            extra[key] = value[:MAX_TEXT] if isinstance(value, str) else value
    return extra


def extra_from_as2(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if kind == "Question":
        extra.update(_question_extra(doc))
    elif kind == "Event":
        extra.update(_event_extra(doc))
    elif kind == "Document" and isinstance(doc.get("mediaType"), str):
        extra["mediaType"] = doc["mediaType"][:255]
    for term in MATERIAL_TERMS:
        value = doc.get(term)
        if isinstance(value, str):
            extra[term] = value[:MAX_TEXT]
        elif isinstance(value, list):
            extra[term] = [v[:MAX_TEXT] for v in value if isinstance(v, str)][:20]
    extra.update(_material_extras(doc))
    return extra


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _material_extras(doc: dict[str, Any]) -> dict[str, Any]:
    """Rating figures, a review's rating, the preview ``image`` and the Markdown ``source``."""
    extra: dict[str, Any] = {}
    average, count, rating = (
        _number(doc.get(k)) for k in ("ratingAverage", "ratingCount", "rating")
    )
    if average is not None and 0 <= average <= 5:
        extra["ratingAverage"] = round(float(average), 2)
    if isinstance(count, int) and count >= 0:
        extra["ratingCount"] = count
    if isinstance(rating, int) and 1 <= rating <= 5:
        extra["rating"] = rating
    image = doc.get("image")
    image_url = url_of(image.get("url") if isinstance(image, dict) else image)
    if is_web_url(image_url):
        extra["image"] = {"type": "Image", "url": image_url}
        if isinstance(image, dict) and isinstance(image.get("mediaType"), str):
            extra["image"]["mediaType"] = image["mediaType"][:255]
    source = doc.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str):
        media_type = source.get("mediaType")
        extra["source"] = {
            "content": source["content"][:MAX_SOURCE],
            "mediaType": media_type[:255] if isinstance(media_type, str) else "text/plain",
        }
    return extra


def _question_to_as2(extra: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key in ("oneOf", "anyOf"):
        if key in extra:
            doc[key] = [
                {
                    "type": "Note",
                    "name": inert_text(str(option.get("name", ""))),
                    "replies": {"type": "Collection", "totalItems": option.get("votes", 0)},
                }
                for option in extra[key]
            ]
    for key in ("endTime", "closed", "votersCount"):
        if extra.get(key) is not None:
            doc[key] = extra[key]
    return doc


def extra_to_as2(kind: str, extra: dict[str, Any]) -> dict[str, Any]:
    if kind == "Question":
        doc = _question_to_as2(extra)
    elif kind == "Event":
        keys = ("startTime", "endTime", "location", *EVENT_SCALARS)
        doc = {k: extra[k] for k in keys if extra.get(k) is not None}
    elif kind == "Document":
        doc = {"mediaType": extra["mediaType"]} if extra.get("mediaType") else {}
    else:
        doc = {}
    doc.update({t: extra[t] for t in MATERIAL_TERMS if extra.get(t)})
    doc.update(
        {
            t: extra[t]
            for t in ("ratingAverage", "ratingCount", "rating", "image", "source")
            if extra.get(t) is not None
        }
    )
    return doc
