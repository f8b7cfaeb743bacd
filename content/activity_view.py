"""What a reader sees of a stored activity: the node's own state, never the body as it came.

An inbox row keeps the activity as its sender wrote it (handlers need it),
so serving that body would hand C2S clients whatever HTML a stranger sent,
and an outbox row keeps the post as it was published, so serving that body
would keep showing a post after its edit or deletion. Every collection or
URL that serves stored activities (the owner's inbox, the outbox, an
activity's id) therefore renders them here, from what the node stored:

* an activity keeps its ``id``, ``type``, ``actor``, times and addressing
  (``bto``/``bcc`` are never shown), ``target``/``origin`` as ids, and any
  ``content`` (sanitized), ``summary`` and ``name`` (plain text, inert);
  every other field the sender chose is dropped;
* the object of a Create, Update or Delete, when it is the actor's own post,
  stored here, that the reader may read, is the post as it is now
  (:func:`content.as2.object_to_as2`: edited, or a Tombstone once deleted, so
  a Create replayed after a Delete shows nothing); any other object (a post
  we did not store, someone else's post that a Like or Announce names, one
  the reader may not read) is its id alone;
* an embedded activity (an Accept of a Follow, an Undo of a Like) is rendered
  by the same rules, one level deep; an actor is its id and type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from content.as2 import object_to_as2
from content.sanitize import plain_text, sanitize_html
from content.visibility import may_read
from federation.inert_text import inert_text
from federation.vocab import ACTOR_TYPES, as_list, id_of, ids_of, text_of, type_of
from storage.models import Actor, ContentObject

#: Activity fields kept as the ids they name.
ID_FIELDS = ("actor", "target", "origin", "inReplyTo")
#: Addressing shown to the reader (``bto`` and ``bcc`` are blind by definition).
ADDRESS_FIELDS = ("to", "cc", "audience")
TIME_FIELDS = ("published", "updated", "startTime", "endTime")
#: Activities whose object is shown (as it is now), when it is the actor's own post.
AUTHORED = frozenset({"Create", "Update", "Delete"})
MAX_TEXT = 5_000


def _object_ids(bodies: Sequence[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for body in bodies:
        obj = body.get("object")
        if isinstance(obj, dict) and "actor" in obj:  # an embedded activity
            obj = obj.get("object")
        found.update(ids_of(obj))
    return found


async def _stored(
    session: AsyncSession, ap_ids: set[str]
) -> dict[str, tuple[ContentObject, Actor]]:
    if not ap_ids:
        return {}
    rows = await session.exec(
        select(ContentObject, Actor)
        .join(Actor, col(Actor.id) == ContentObject.author_id)
        .where(col(ContentObject.ap_id).in_(sorted(ap_ids)))
    )
    return {obj.ap_id: (obj, author) for obj, author in rows.all()}


def _text_fields(source: dict[str, Any], out: dict[str, Any]) -> None:
    content = text_of(source.get("content"))
    if content:
        out["content"] = sanitize_html(content[:MAX_TEXT])
    for name in ("summary", "name"):
        text = plain_text(text_of(source.get(name)))
        if text:
            out[name] = inert_text(text[:MAX_TEXT])


def _shell(body: dict[str, Any]) -> dict[str, Any]:
    """The activity's own fields, each reduced to its safe shape."""
    out: dict[str, Any] = {}
    if isinstance(body.get("id"), str):
        out["id"] = body["id"]
    kinds = [k for k in as_list(body.get("type")) if isinstance(k, str)]
    if kinds:
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    for name in ID_FIELDS:
        if (value := id_of(body.get(name))) is not None:
            out[name] = value
    for name in TIME_FIELDS:
        if isinstance(body.get(name), str):
            out[name] = body[name][:64]
    for name in ADDRESS_FIELDS:
        if name in body:
            out[name] = ids_of(body.get(name))
    _text_fields(body, out)
    return out


class ActivityView:
    """Renders a page of stored activities for one reader (None: anyone)."""

    def __init__(self, session: AsyncSession, config: NodeConfig, viewer: Actor | None) -> None:
        self._session = session
        self._config = config
        self._viewer = viewer
        self._objects: dict[str, tuple[ContentObject, Actor]] = {}

    async def render_all(self, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        self._objects = await _stored(self._session, _object_ids(bodies))
        return [await self._render(body) for body in bodies]

    async def _render(self, body: dict[str, Any], *, depth: int = 0) -> dict[str, Any]:
        out = _shell(body)
        if "object" in body:
            out["object"] = await self._object(body, depth)
        return out

    async def _object(self, body: dict[str, Any], depth: int) -> Any:
        value = body.get("object")
        if isinstance(value, list):  # rare; the first one is what handlers read
            value = value[0] if value else None
        ap_id = id_of(value)
        if isinstance(value, dict) and "actor" in value and depth == 0:
            return await self._render(value, depth=1)
        if isinstance(value, dict) and type_of(value) in ACTOR_TYPES:
            return {"id": ap_id, "type": type_of(value)} if ap_id else None
        if ap_id is None:
            return None
        stored = self._objects.get(ap_id)
        if stored is None:
            return ap_id
        obj, author = stored
        if type_of(body) not in AUTHORED or author.ap_id != id_of(body.get("actor")):
            return ap_id  # a Like or Announce names someone's post: its id says enough
        if not await may_read(self._session, obj, author, self._viewer):
            return ap_id
        doc = object_to_as2(obj, author, self._config)
        doc.pop("@context", None)
        return doc
