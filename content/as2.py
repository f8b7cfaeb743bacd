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

The columns with shapes of their own are read and written, both ways in one
place, by :mod:`content.as2_tags`, :mod:`content.as2_attachments` and
:mod:`content.as2_extra`; the times and checks they share are in
:mod:`content.as2_values`. Callers import the pair (and ``parse_time`` and
``iso``) from here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from actors.config import NodeConfig
from content.as2_attachments import attachments_from_as2, attachments_to_as2
from content.as2_extra import extra_from_as2, extra_to_as2
from content.as2_tags import tags_from_as2, tags_to_as2
from content.as2_values import is_web_url, iso, parse_time, short_text
from content.sanitize import plain_text, sanitize_html
from federation.errors import FederationError
from federation.inert_text import inert_text
from federation.jsonld import canonical_context
from federation.vocab import as_list, id_of, ids_of, text_of, type_of, url_of
from storage.models import Actor, ContentObject

__all__ = [
    "OBJECT_TYPES",
    "InvalidObjectError",
    "attributed_to",
    "iso",
    "object_from_as2",
    "object_to_as2",
    "parse_time",
    "tombstone_to_as2",
]

#: The object types we store and serve.
OBJECT_TYPES = frozenset({"Note", "Article", "Page", "Question", "Event", "Document"})


class InvalidObjectError(FederationError):
    """An object we cannot store: no id, a type we do not handle, no author."""

    status = 422


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
    summary = plain_text(short_text(doc.get("summary")))
    conversation = doc.get("conversation") or doc.get("context")
    return {
        "ap_id": ap_id,
        "type": kind,
        "url": url_of(doc.get("url")) if is_web_url(url_of(doc.get("url"))) else None,
        "name": plain_text(short_text(doc.get("name"))) or None,
        "summary": summary or None,
        "content": content,
        "sensitive": doc.get("sensitive") is True,
        "language": language,
        "in_reply_to": id_of(doc.get("inReplyTo")),
        "conversation": conversation[:2048] if isinstance(conversation, str) else None,
        "to": ids_of(doc.get("to")),
        "cc": ids_of(doc.get("cc")),
        "tags": tags_from_as2(doc),
        "attachments": attachments_from_as2(doc),
        "extra": extra_from_as2(kind, doc),
        "published": parse_time(doc.get("published")) or datetime.now(UTC),
        "updated_at": parse_time(doc.get("updated")),
    }


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
        "tag": tags_to_as2(obj.tags),
        "attachment": attachments_to_as2(obj.attachments),
    }
    if obj.language:
        doc["contentMap"] = {obj.language: obj.content}
    if obj.name:
        doc["name"] = inert_text(obj.name)
    if obj.conversation:
        doc["conversation"] = obj.conversation
    if obj.updated_at is not None:
        doc["updated"] = iso(obj.updated_at)
    doc.update(extra_to_as2(obj.type, obj.extra))
    return doc
