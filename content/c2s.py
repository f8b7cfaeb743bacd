"""ActivityPub client-to-server: what a client POSTs to its outbox, turned into domain calls.

The client proposes; the server decides. Ids, ``published`` and addressing
are ours: the client's ``to``/``cc`` only say which visibility it meant (see
:func:`content.visibility.visibility_from_addressing`) and whom it addressed.
A bare object is wrapped in a Create (ActivityPub §6.2.1). Each activity
type is one entry in :data:`HANDLERS`; anything else is a clear 400.

Every handler returns the :class:`Activity` it caused, whose id the route
sends back as ``Location``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.graph import GraphError, follow, unfollow
from actors.profile import publish_actor_update
from content.as2 import object_from_as2
from content.events import c2s as events_c2s
from content.events.model import load_view as load_event
from content.events.publishing import delete_event
from content.events.rules import EventError
from content.formatting import looks_like_html, text_to_html
from content.interactions import InteractionError, announce, like, unannounce, unlike
from content.materials.as2 import is_material
from content.materials.c2s import create_from_c2s
from content.materials.model import load_view
from content.materials.publishing import MaterialError, delete_material
from content.mentions import actor_for_id
from content.objects import fetch_object
from content.posts import POST_TYPES, InvalidPostError, create_post, delete_post, update_post
from content.sanitize import sanitize_html
from content.visibility import is_open, may_read, visibility_from_addressing
from federation.constants import is_public
from federation.errors import FederationError
from federation.vocab import id_of, ids_of, text_of, type_of
from storage.models import Activity, Actor, ContentObject, Follow

MAX_DISPLAY_NAME = 255
MAX_PROFILE_SUMMARY = 5_000


class C2SError(FederationError):
    """The client sent something we cannot act on; ``reason`` says what."""

    status = 400


class NotYoursError(C2SError):
    status = 403


Handler = Callable[[AsyncSession, NodeContext, Actor, dict[str, Any]], Awaitable[Activity]]


async def _activity_by_id(session: AsyncSession, ap_id: str) -> Activity:
    found = (await session.exec(select(Activity).where(Activity.ap_id == ap_id))).first()
    if found is None:
        raise C2SError("the activity was not recorded")
    return found


async def _latest(session: AsyncSession, actor: Actor, kind: str, object_id: str) -> Activity:
    """The newest ``kind`` activity ``actor`` published about ``object_id``."""
    found = (
        await session.exec(
            select(Activity)
            .where(
                Activity.actor_id == actor.id,
                Activity.type == kind,
                Activity.object_ap_id == object_id,
            )
            .order_by(col(Activity.id).desc())
        )
    ).first()
    if found is None:
        raise C2SError(f"no {kind} was published")
    return found


def _object_id(doc: dict[str, Any]) -> str:
    found = id_of(doc.get("object"))
    if not found:
        raise C2SError(f"the {type_of(doc)} has no object")
    return found


async def _own_object(session: AsyncSession, actor: Actor, ap_id: str) -> ContentObject:
    obj = (await session.exec(select(ContentObject).where(ContentObject.ap_id == ap_id))).first()
    if obj is None or not obj.local or obj.deleted_at is not None:
        raise C2SError("no such post")
    if obj.author_id != actor.id:
        raise NotYoursError("that post is not yours")
    return obj


async def _readable_object(
    session: AsyncSession, node: NodeContext, actor: Actor, ap_id: str
) -> ContentObject:
    """An object ``actor`` may see: ours or cached, else fetched from where it lives."""
    obj = await fetch_object(session, node, ap_id)
    author = await session.get(Actor, obj.author_id) if obj else None
    if (
        obj is None
        or author is None
        or obj.deleted_at is not None
        or not await may_read(session, obj, author, actor, guardian=False)
    ):
        raise C2SError("no such object")
    return obj


def _extra(obj: dict[str, Any]) -> dict[str, Any]:
    """Type-specific fields (poll options, event times, material terms), read the way
    objects from other servers are read, so a client cannot store shapes a peer could not."""
    try:
        fields = object_from_as2({**obj, "id": "urn:staffroom:c2s-draft"})
    except FederationError as exc:
        raise C2SError(exc.reason) from None
    extra: dict[str, Any] = fields["extra"]
    return extra


async def _create(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    obj = doc.get("object")
    if not isinstance(obj, dict) or type_of(obj) not in POST_TYPES:
        kinds = ", ".join(sorted(POST_TYPES))
        raise C2SError(f"Create needs an embedded object of type {kinds}")
    attributed = id_of(obj.get("attributedTo"))
    if attributed and attributed != actor.ap_id:
        raise NotYoursError("the object is attributed to someone else")
    if any(source.get(name) for source in (doc, obj) for name in ("bto", "bcc")):
        raise C2SError("bto and bcc are not supported; address recipients in to or cc")
    to = [*ids_of(doc.get("to")), *ids_of(obj.get("to"))]
    cc = [*ids_of(doc.get("cc")), *ids_of(obj.get("cc"))]
    if type_of(obj) == "Event":
        vis = visibility_from_addressing(to, cc, actor.followers_url)
        try:
            organized = await events_c2s.create_from_c2s(session, node, actor, obj, vis)
        except EventError as exc:
            raise C2SError(str(exc)) from None
        return await _latest(session, actor, "Create", organized)
    if is_material(obj):
        vis = visibility_from_addressing(to, cc, actor.followers_url)
        try:
            created = await create_from_c2s(session, node, actor, obj, _extra(obj), vis)
        except MaterialError as exc:
            raise C2SError(str(exc)) from None
        return await _latest(session, actor, "Create", created)
    content = text_of(obj.get("content")) or text_of(obj.get("contentMap"))
    source = obj.get("source")
    if not content and isinstance(source, dict):
        content = text_of(source.get("content"))
    content_map = obj.get("contentMap")
    language = next(iter(content_map), None) if isinstance(content_map, dict) else None
    in_reply_to = id_of(obj.get("inReplyTo"))
    if in_reply_to:
        await _readable_object(session, node, actor, in_reply_to)
    post = await create_post(
        session,
        node,
        actor,
        content_text_or_html=content or "",
        visibility=visibility_from_addressing(to, cc, actor.followers_url),
        summary=text_of(obj.get("summary")),
        sensitive=obj.get("sensitive") is True,
        in_reply_to=in_reply_to,
        language=language if isinstance(language, str) else None,
        object_type=type_of(obj) or "Note",
        name=text_of(obj.get("name")),
        extra=_extra(obj),
        addressees=[a for a in [*to, *cc] if not is_public(a) and a != actor.followers_url],
    )
    return await _latest(session, actor, "Create", post.ap_id)


async def _follow(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    target_id = _object_id(doc)
    if target_id == actor.ap_id:
        raise C2SError("you cannot follow yourself")
    target = await actor_for_id(session, node, target_id)
    if target is None:
        raise C2SError("cannot resolve the actor to follow")
    row = await follow(session, node, actor, target)
    return await _activity_by_id(session, row.activity_ap_id)


async def _undo(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    undone_id = _object_id(doc)
    undone = (
        await session.exec(
            select(Activity).where(Activity.ap_id == undone_id, Activity.actor_id == actor.id)
        )
    ).first()
    if undone is None or undone.type not in ("Follow", "Like", "Announce"):
        raise C2SError("only your own Follow, Like or Announce can be undone")
    if undone.type == "Follow":
        row = (
            await session.exec(
                select(Follow).where(
                    Follow.activity_ap_id == undone_id, Follow.follower_id == actor.id
                )
            )
        ).first()
        followee = await session.get(Actor, row.followee_id) if row else None
        if followee is None:
            raise C2SError("that follow is no longer in effect")
        await unfollow(session, node, actor, followee)
    else:
        obj = (
            await session.exec(
                select(ContentObject).where(ContentObject.ap_id == undone.object_ap_id)
            )
        ).first()
        if obj is None:
            raise C2SError("the object of that activity is gone")
        await (unlike if undone.type == "Like" else unannounce)(session, node, actor, obj)
    return await _latest(session, actor, "Undo", undone_id)


async def _like(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    obj = await _readable_object(session, node, actor, _object_id(doc))
    await like(session, node, actor, obj)
    return await _latest(session, actor, "Like", obj.ap_id)


async def _announce(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    obj = await _readable_object(session, node, actor, _object_id(doc))
    if not is_open(obj):
        raise C2SError("only public and unlisted posts can be announced")
    await announce(session, node, actor, obj)
    return await _latest(session, actor, "Announce", obj.ap_id)


def _field(obj: dict[str, Any], name: str) -> str | None:
    """A text field the client sent (``null`` clears it: ""), or None when absent."""
    if name not in obj:
        return None
    return text_of(obj[name]) or ""


async def _update(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    obj = doc.get("object")
    object_id = id_of(obj)
    if not isinstance(obj, dict) or not object_id:
        raise C2SError("Update needs the changed object, embedded with its id")
    if object_id == actor.ap_id:
        return await update_profile(
            session, node, actor, name=_field(obj, "name"), summary=_field(obj, "summary")
        )
    post = await _own_object(session, actor, object_id)
    if post.id is not None and await load_view(session, post.id) is not None:
        raise C2SError("a material is edited through /api/v1/staffroom/materials")
    if post.id is not None and await load_event(session, post.id) is not None:
        raise C2SError("an event is edited through /api/v1/staffroom/events")
    sensitive = obj.get("sensitive")
    await update_post(
        session,
        node,
        actor,
        post,
        content_text_or_html=_field(obj, "content"),
        summary=_field(obj, "summary"),
        sensitive=sensitive if isinstance(sensitive, bool) else None,
        name=_field(obj, "name"),
    )
    return await _latest(session, actor, "Update", post.ap_id)


async def _delete(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    object_id = _object_id(doc)
    if object_id == actor.ap_id:
        raise C2SError("deleting an account is not supported here")
    post = await _own_object(session, actor, object_id)
    view = await load_view(session, post.id) if post.id is not None else None
    event = await load_event(session, post.id) if post.id is not None else None
    if view is not None:
        await delete_material(session, node, actor, view)
    elif event is not None:
        await delete_event(session, node, actor, event)
    else:
        await delete_post(session, node, actor, post)
    return await _latest(session, actor, "Delete", post.ap_id)


async def _join(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    try:
        return await events_c2s.join(session, node, actor, _object_id(doc))
    except EventError as exc:
        raise C2SError(str(exc)) from None


async def _leave(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    try:
        return await events_c2s.leave(session, node, actor, _object_id(doc))
    except EventError as exc:
        raise C2SError(str(exc)) from None


HANDLERS: dict[str, Handler] = {
    "Create": _create,
    "Follow": _follow,
    "Undo": _undo,
    "Like": _like,
    "Announce": _announce,
    "Update": _update,
    "Delete": _delete,
    "Join": _join,
    "Leave": _leave,
}


def wrap_bare_object(doc: dict[str, Any]) -> dict[str, Any]:
    """ActivityPub §6.2.1: an object posted without an activity gets a Create around it."""
    if type_of(doc) not in POST_TYPES:
        return doc
    wrapper: dict[str, Any] = {"type": "Create", "object": doc}
    for name in ("to", "cc", "bto", "bcc"):
        if name in doc:
            wrapper[name] = doc[name]
    return wrapper


async def submit(
    session: AsyncSession, node: NodeContext, actor: Actor, doc: dict[str, Any]
) -> Activity:
    """Act on what ``actor``'s client posted to its outbox; nothing is committed here."""
    doc = wrap_bare_object(doc)
    kind = type_of(doc)
    handler = HANDLERS.get(kind or "")
    if handler is None:
        supported = ", ".join(sorted([*HANDLERS, *POST_TYPES]))
        raise C2SError(f"unsupported type {kind!r}; this outbox accepts {supported}")
    claimed = id_of(doc.get("actor"))
    if claimed and claimed != actor.ap_id:
        raise NotYoursError("the activity's actor is not the outbox's owner")
    try:
        return await handler(session, node, actor, doc)
    except InvalidPostError as exc:
        raise C2SError(exc.reason) from None
    except (GraphError, InteractionError) as exc:
        raise C2SError(str(exc)) from None


async def update_profile(
    session: AsyncSession,
    node: NodeContext,
    actor: Actor,
    *,
    name: str | None = None,
    summary: str | None = None,
) -> Activity:
    """Change the display name and bio, and tell followers with an Update of the actor."""
    if name is not None:
        if len(name) > MAX_DISPLAY_NAME:
            raise C2SError(f"the name is longer than {MAX_DISPLAY_NAME} characters")
        actor.display_name = name
    if summary is not None:
        if len(summary) > MAX_PROFILE_SUMMARY:
            raise C2SError(f"the summary is longer than {MAX_PROFILE_SUMMARY} characters")
        actor.summary = (
            sanitize_html(summary) if looks_like_html(summary) else text_to_html(summary)
        )
    return await publish_actor_update(session, node, actor)
