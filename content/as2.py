"""Converters between content rows and ActivityStreams objects (the named pair).

:func:`object_from_as2` reads a normalized remote object into column values;
:func:`object_to_as2` writes one of our rows as the document other servers
read. Models never serialize themselves; the API has its own entities.

What the columns hold, whoever wrote the object:

* ``content`` is sanitized HTML (:mod:`content.sanitize`); ``summary`` (the
  content warning) and ``name`` are plain text, as in Mastodon's model.
* ``tags``: ``{"type": "Mention"|"Hashtag", "name", "href"}`` and
  ``{"type": "Emoji", "name", "icon"}``.
* ``attachments``: ``{"type", "url", "mediaType"?, "name"?, "blurhash"?,
  "width"?, "height"?, "focalPoint"?}``; only http(s) URLs.
* ``extra``, by type, under the AS2 names so the way out is the way in:

  - Question: ``"oneOf"`` (single choice) or ``"anyOf"`` (multiple):
    ``[{"name": str, "votes": int}]``; ``"endTime"``, ``"closed"`` (ISO
    strings or None), ``"votersCount"`` (int or None).
  - Event: ``"startTime"``, ``"endTime"`` (ISO strings), ``"location"`` (a
    Place as plain JSON) and Mobilizon's scalars (``joinMode``,
    ``maximumAttendeeCapacity``, ``timezone``, ``category``...).
  - Document: ``"mediaType"``.
  - Any type: our teaching-material terms ``schoolSubject``, ``grade``,
    ``materialType``, ``license`` (strings or lists of strings), the rating
    figures ``ratingAverage`` and ``ratingCount`` (numbers), a review's
    ``rating`` (1-5), and AS2's ``image`` (``{"type": "Image", "url",
    "mediaType"?}``) and ``source`` (``{"content", "mediaType"}``), which a
    material carries for its preview and its Markdown.
* An attachment's ``size`` (bytes) and ``digest`` (``SHA-256=...``), ours
  for a material's files, are kept with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from actors.config import NodeConfig
from content.sanitize import plain_text, sanitize_html
from federation.errors import FederationError
from federation.inert_text import inert_text
from federation.jsonld import canonical_context
from federation.vocab import as_list, id_of, ids_of, text_of, type_of, url_of
from storage.models import Actor, ContentObject

#: The object types we store and serve.
OBJECT_TYPES = frozenset({"Note", "Article", "Page", "Question", "Event", "Document"})
ATTACHMENT_TYPES = frozenset({"Document", "Image", "Video", "Audio", "Link"})
TAG_TYPES = frozenset({"Mention", "Hashtag", "Emoji"})
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
MAX_TAGS = 100
MAX_ATTACHMENTS = 20
MAX_OPTIONS = 50
MAX_TEXT = 2000


class InvalidObjectError(FederationError):
    """An object we cannot store: no id, a type we do not handle, no author."""

    status = 422


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from the ISO 8601 forms servers send, or None.

    Pleroma sends some times without a zone (read as UTC); Go servers send
    nanoseconds (cut to microseconds).
    """
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if "." in text:
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}" if digits else head + tail
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_or_none(value: Any) -> str | None:
    parsed = parse_time(value)
    return iso(parsed) if parsed else None


def _is_web_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def _short(value: Any) -> str | None:
    text = text_of(value)
    return text[:MAX_TEXT] if text is not None else None


def attributed_to(doc: dict[str, Any]) -> str | None:
    """The author's id; PeerTube lists the account first and then its channel."""
    for entry in as_list(doc.get("attributedTo")):
        if isinstance(entry, str):
            return entry
        if isinstance(entry, dict) and type_of(entry) in (None, "Person", "Service"):
            return id_of(entry)
    return id_of(doc.get("attributedTo"))


def _content_and_language(doc: dict[str, Any]) -> tuple[str, str | None]:
    content = doc.get("content")
    content_map = doc.get("contentMap")
    language: str | None = None
    if isinstance(content_map, dict) and content_map:
        language, first = next(iter(content_map.items()))
        if not isinstance(content, str):
            content = first
    lemmy_language = doc.get("language")  # Lemmy: {"identifier": "ko", "name": ...}
    if language is None and isinstance(lemmy_language, dict):
        language = text_of(lemmy_language.get("identifier"))
    text = content if isinstance(content, str) else ""
    if language in ("und", ""):
        language = None
    return sanitize_html(text), (language[:16] if language else None)


def _tags(doc: dict[str, Any]) -> list[dict[str, Any]]:
    tags: list[dict[str, Any]] = []
    for tag in as_list(doc.get("tag"))[:MAX_TAGS]:
        kind = type_of(tag)
        if kind not in TAG_TYPES:
            continue
        name = _short(tag.get("name")) or ""
        if kind == "Emoji":
            icon = url_of(tag.get("icon"))
            if name and _is_web_url(icon):
                tags.append({"type": kind, "name": name, "icon": icon})
            continue
        href = url_of(tag.get("href")) or id_of(tag)
        entry: dict[str, Any] = {"type": kind, "name": name}
        if _is_web_url(href):
            entry["href"] = href
        if name or "href" in entry:
            tags.append(entry)
    return tags


def _attachment_url(item: dict[str, Any]) -> str | None:
    if type_of(item) == "Link":
        return url_of(item.get("href"))
    url = item.get("url")
    # PeerTube lists several Links; the first web page or file one will do.
    return url_of(url) if url is not None else url_of(item.get("href"))


def _attachments(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in as_list(doc.get("attachment")):
        if type_of(item) not in ATTACHMENT_TYPES:
            continue
        url = _attachment_url(item)
        if not _is_web_url(url):
            continue
        entry: dict[str, Any] = {"type": type_of(item), "url": url}
        if isinstance(item.get("mediaType"), str):
            entry["mediaType"] = item["mediaType"][:255]
        if (name := plain_text(_short(item.get("name")))) is not None:
            entry["name"] = name
        if isinstance(item.get("blurhash"), str):
            entry["blurhash"] = item["blurhash"][:255]
        for key in ("width", "height"):
            if isinstance(item.get(key), int):
                entry[key] = item[key]
        size = item.get("size")
        if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
            entry["size"] = size
        if isinstance(item.get("digest"), str):
            entry["digest"] = item["digest"][:100]
        focal = item.get("focalPoint")
        if isinstance(focal, list) and len(focal) == 2:
            entry["focalPoint"] = [float(v) for v in focal if isinstance(v, int | float)]
        found.append(entry)
        if len(found) >= MAX_ATTACHMENTS:
            break
    return found


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
                "name": plain_text(_short(option.get("name"))) or "",
                "votes": _total_items(option.get("replies")),
            }
            for option in options[:MAX_OPTIONS]
        ]
    extra["endTime"] = _iso_or_none(doc.get("endTime"))
    closed = doc.get("closed")
    extra["closed"] = extra["endTime"] if closed is True else _iso_or_none(closed)
    voters = doc.get("votersCount")
    extra["votersCount"] = voters if isinstance(voters, int) else None
    return extra


def _total_items(replies: Any) -> int:
    total = replies.get("totalItems") if isinstance(replies, dict) else None
    return total if isinstance(total, int) and total >= 0 else 0


def _event_extra(doc: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "startTime": _iso_or_none(doc.get("startTime")),
        "endTime": _iso_or_none(doc.get("endTime")),
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


def _extra(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
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
    if _is_web_url(image_url):
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


def object_from_as2(doc: dict[str, Any]) -> dict[str, Any]:
    """Column values for a :class:`ContentObject` from a normalized AS2 object.

    Everything except ``author_id``, ``local`` and ``visibility``, which depend
    on who sent it and are set by :mod:`content.objects`.
    """
    ap_id = doc.get("id")
    kind = type_of(doc)
    if not isinstance(ap_id, str) or not ap_id:
        raise InvalidObjectError("the object has no id")
    if kind not in OBJECT_TYPES:
        raise InvalidObjectError(f"objects of type {kind!r} are not stored here")
    content, language = _content_and_language(doc)
    summary = plain_text(_short(doc.get("summary")))
    conversation = doc.get("conversation") or doc.get("context")
    return {
        "ap_id": ap_id,
        "type": kind,
        "url": url_of(doc.get("url")) if _is_web_url(url_of(doc.get("url"))) else None,
        "name": plain_text(_short(doc.get("name"))) or None,
        "summary": summary or None,
        "content": content,
        "sensitive": doc.get("sensitive") is True,
        "language": language,
        "in_reply_to": id_of(doc.get("inReplyTo")),
        "conversation": conversation[:2048] if isinstance(conversation, str) else None,
        "to": ids_of(doc.get("to")),
        "cc": ids_of(doc.get("cc")),
        "tags": _tags(doc),
        "attachments": _attachments(doc),
        "extra": _extra(kind, doc),
        "published": parse_time(doc.get("published")) or datetime.now(UTC),
        "updated_at": parse_time(doc.get("updated")),
    }


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


def _extra_to_as2(kind: str, extra: dict[str, Any]) -> dict[str, Any]:
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


def _attachment_to_as2(item: dict[str, Any]) -> dict[str, Any]:
    doc = dict(item)
    if doc.get("type") == "Link" and "href" not in doc and "url" in doc:
        doc["href"] = doc.pop("url")  # stored as every attachment is, sent as a Link is
    if isinstance(doc.get("name"), str):
        doc["name"] = inert_text(doc["name"])
    return doc


def tombstone_to_as2(obj: ContentObject) -> dict[str, Any]:
    deleted = obj.deleted_at or datetime.now(UTC)
    return {
        "@context": canonical_context(),
        "id": obj.ap_id,
        "type": "Tombstone",
        "formerType": obj.type,
        "deleted": iso(deleted),
    }


def object_to_as2(obj: ContentObject, author: Actor, node: NodeConfig) -> dict[str, Any]:
    """The document for ``obj`` as Mastodon, GoToSocial, Lemmy and Mobilizon read it.

    A deleted object is a Tombstone. ``summary`` is always present (null when
    there is no content warning), as Mastodon sends it. Readers must have been
    checked by the caller (see :mod:`content.visibility`). Every text field is
    safe to read as HTML: ``content`` is sanitized, and the plain-text fields
    (``summary``, ``name``, attachment and option names) go out inert
    (:mod:`federation.inert_text`).
    """
    if obj.deleted_at is not None:
        return tombstone_to_as2(obj)
    doc: dict[str, Any] = {
        "@context": canonical_context(),
        "id": obj.ap_id,
        "type": obj.type,
        "attributedTo": author.ap_id,
        "published": iso(obj.published),
        "url": obj.url or obj.ap_id,
        "to": list(obj.to),
        "cc": list(obj.cc),
        "inReplyTo": obj.in_reply_to,
        "summary": inert_text(obj.summary) if obj.summary else obj.summary,
        "sensitive": obj.sensitive,
        "content": obj.content,
        "tag": [dict(tag) for tag in obj.tags],
        "attachment": [_attachment_to_as2(item) for item in obj.attachments],
    }
    for tag in doc["tag"]:
        if tag.get("type") == "Emoji" and "icon" in tag:
            tag["icon"] = {"type": "Image", "url": tag["icon"]}
    if obj.language:
        doc["contentMap"] = {obj.language: obj.content}
    if obj.name:
        doc["name"] = inert_text(obj.name)
    if obj.conversation:
        doc["conversation"] = obj.conversation
    if obj.updated_at is not None:
        doc["updated"] = iso(obj.updated_at)
    doc.update(_extra_to_as2(obj.type, obj.extra))
    return doc
