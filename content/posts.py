"""Local posting: create, edit and delete a post, and publish what each one means.

Shared by every way a teacher posts (the C2S outbox now, the Mastodon API and
the web pages later), so mentions, hashtags, addressing and the activity are
built one way. Nothing here commits: the object row and its activity's
deliveries are committed together by the caller (see :mod:`outbox.publish`).

Network first, writes second: mentions and recipients are resolved (WebFinger,
actor fetches) before the first write, so no write transaction stays open
across a fetch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.minors import check_direct, check_mentions, check_visibility
from content.as2 import object_to_as2
from content.communities.threads import communities_announcing
from content.formatting import (
    find_hashtags,
    find_mentions,
    hashtag_tag,
    link_mentions_and_tags,
    linkify_urls,
    looks_like_html,
    mention_tag,
    text_to_html,
)
from content.mentions import actor_for_id, mentioned, resolve_mentions
from content.objects import recount_replies, tombstone
from content.poll_states import track as track_poll
from content.sanitize import plain_text, sanitize_html
from content.visibility import addressing_for, may_read
from federation.constants import is_public
from federation.errors import FederationError
from federation.jsonld import canonical_context
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Activity, Actor, ContentObject, Featured, Visibility
from storage.repos.peers import members_only_communities
from storage.types import utcnow

# The object types a local actor may post; each is a Note with extras to the wire.
POST_TYPES = frozenset({"Note", "Article", "Page", "Question", "Event", "Document"})
MAX_CONTENT_CHARS = 100_000  # lesson plans are long; a Note client shows less anyway
MAX_SUMMARY_CHARS = 1_000
MAX_NAME_CHARS = 1_000
# A BCP 47 tag short enough for the column: "fr", "pt-BR", "zh-Hant".
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}$")


class InvalidPostError(FederationError):
    """A post the domain refuses; ``reason`` is safe to show the author."""

    status = 422


@dataclass
class Rendered:
    html: str
    tags: list[dict[str, Any]]
    mentioned: list[Actor]


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


async def render_content(session: AsyncSession, node: NodeContext, value: str) -> Rendered:
    """HTML, Mention/Hashtag tags and the mentioned actors for what the author wrote."""
    html = sanitize_html(value) if looks_like_html(value) else text_to_html(value)
    html = linkify_urls(html)
    actors = await resolve_mentions(session, node, find_mentions(html))
    hashtags = find_hashtags(html)
    links = {key: mentioned(actor) for key, actor in actors.items()}
    # Sanitizing the result too keeps stored content a fixed point of the sanitizer.
    html = sanitize_html(link_mentions_and_tags(html, links, node.config.base_url))
    unique = list({actor.ap_id: actor for actor in actors.values()}.values())
    tags = [mention_tag(mentioned(actor)) for actor in unique]
    tags += [hashtag_tag(node.config.base_url, tag) for tag in hashtags]
    return Rendered(html, tags, unique)


def _check_text(content: str, summary: str | None, name: str | None) -> None:
    if len(content) > MAX_CONTENT_CHARS:
        raise InvalidPostError(f"the content is longer than {MAX_CONTENT_CHARS} characters")
    if summary is not None and len(summary) > MAX_SUMMARY_CHARS:
        raise InvalidPostError(f"the summary is longer than {MAX_SUMMARY_CHARS} characters")
    if name is not None and len(name) > MAX_NAME_CHARS:
        raise InvalidPostError(f"the name is longer than {MAX_NAME_CHARS} characters")


def _visibility(value: Visibility | str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise InvalidPostError(f"unknown visibility {value!r}") from None


async def _parent(
    session: AsyncSession, author: Actor, in_reply_to: str
) -> tuple[ContentObject, Actor]:
    """The post being replied to, which the author must be able to read."""
    parent = (
        await session.exec(select(ContentObject).where(ContentObject.ap_id == in_reply_to))
    ).first()
    parent_author = await session.get(Actor, parent.author_id) if parent else None
    if (
        parent is None
        or parent_author is None
        or parent.deleted_at is not None
        or not await may_read(session, parent, parent_author, author, guardian=False)
    ):
        raise InvalidPostError("the post being replied to is unknown")
    return parent, parent_author


async def _recipients(session: AsyncSession, node: NodeContext, ids: Sequence[str]) -> list[Actor]:
    found: list[Actor] = []
    for ap_id in dict.fromkeys(ids):
        actor = await actor_for_id(session, node, ap_id)
        if actor is None:
            raise InvalidPostError(f"cannot resolve the recipient {ap_id}")
        found.append(actor)
    return found


def _embedded(obj: ContentObject, author: Actor, node: NodeContext) -> dict[str, Any]:
    doc = object_to_as2(obj, author, node.config)
    doc.pop("@context", None)
    return doc


async def _publish(
    session: AsyncSession,
    node: NodeContext,
    author: Actor,
    kind: str,
    obj: ContentObject,
    object_doc: dict[str, Any],
    extra_recipients: list[str] | None = None,
) -> Activity:
    """One activity about ``obj``, addressed exactly like ``obj`` (and to ``extra_recipients``)."""
    activity_id = new_id()
    body = {
        "@context": canonical_context(),
        "id": node.config.activity_url(author.username, activity_id),
        "type": kind,
        "actor": author.ap_id,
        "published": _iso(utcnow()),
        "to": list(obj.to),
        "cc": list(obj.cc),
        "object": object_doc,
    }
    activity, _audience = await publish(
        session, author, body, activity_id=activity_id, extra_recipients=extra_recipients
    )
    return activity


async def create_post(
    session: AsyncSession,
    node: NodeContext,
    author: Actor,
    *,
    content_text_or_html: str,
    visibility: Visibility | str,
    summary: str | None = None,
    sensitive: bool = False,
    in_reply_to: str | None = None,
    language: str | None = None,
    object_type: str = "Note",
    name: str | None = None,
    extra: dict[str, Any] | None = None,
    addressees: Sequence[str] = (),
    attachments: Sequence[dict[str, Any]] = (),
) -> ContentObject:
    """Store a new local post and publish its Create.

    ``addressees`` are actor ids addressed without a written mention (a C2S
    client's ``to``/``cc``); they are resolved like mentions and must exist.
    A summary (content warning) makes the post sensitive, as in Mastodon.
    ``attachments`` are AS2 attachment entries as :mod:`content.as2` stores
    them (uploads already stored); a post with media needs no text.
    """
    if not author.local or author.id is None:
        raise InvalidPostError("only local actors post here")
    vis = _visibility(visibility)
    if object_type not in POST_TYPES:
        raise InvalidPostError(f"cannot post objects of type {object_type!r}")
    _check_text(content_text_or_html, summary, name)
    if language is not None and not LANGUAGE_RE.match(language):
        raise InvalidPostError(f"invalid language tag {language[:20]!r}")
    # Content warnings and titles are plain text in Mastodon's model; clients may send HTML.
    summary, name = plain_text(summary) or None, plain_text(name) or None
    parent = await _parent(session, author, in_reply_to) if in_reply_to else None
    rendered = await render_content(session, node, content_text_or_html)
    if not rendered.html and not name and not attachments:
        raise InvalidPostError("a post needs content")
    explicit = await _recipients(session, node, [a for a in addressees if not is_public(a)])
    recipients = [a.ap_id for a in [*rendered.mentioned, *explicit]]
    if parent is not None:
        recipients.append(parent[1].ap_id)
        recipients += [c.ap_id for c in await communities_announcing(session, parent[0])]
    if vis != Visibility.DIRECT and await members_only_communities(session, recipients):
        # A post to a members-only community, or a reply in one of its threads,
        # is for its members whatever the app asked: apps show such posts as
        # "private" and answer in kind, which would reach the replier's followers.
        vis = Visibility.DIRECT
    await check_visibility(session, author, vis)
    await check_mentions(
        session,
        author,
        [*rendered.mentioned, *explicit, *([parent[1]] if parent is not None else [])],
    )
    if vis == Visibility.DIRECT:
        await check_direct(
            session,
            author,
            [*rendered.mentioned, *explicit, *([parent[1]] if parent is not None else [])],
        )
    to, cc = addressing_for(vis, author, recipients)
    object_id = new_id()
    ap_id = node.config.object_url(author.username, object_id)
    obj = ContentObject(
        id=object_id,
        ap_id=ap_id,
        type=object_type,
        author_id=author.id,
        local=True,
        visibility=vis,
        url=ap_id,
        name=name,
        summary=summary,
        content=rendered.html,
        sensitive=sensitive or bool(summary),
        language=language,
        in_reply_to=in_reply_to if parent else None,
        conversation=(parent[0].conversation or parent[0].ap_id) if parent else ap_id,
        to=to,
        cc=cc,
        tags=rendered.tags,
        extra=dict(extra or {}),
        attachments=[dict(item) for item in attachments],
        published=utcnow(),
    )
    session.add(obj)
    await session.flush()
    if parent is not None:
        await recount_replies(session, parent[0].ap_id)
    await track_poll(session, obj)
    await _publish(session, node, author, "Create", obj, _embedded(obj, author, node))
    return obj


def _own_live(obj: ContentObject, author: Actor) -> None:
    if not obj.local or obj.author_id != author.id:
        raise InvalidPostError("only the author may change a post")
    if obj.deleted_at is not None:
        raise InvalidPostError("the post has been deleted")


async def update_post(
    session: AsyncSession,
    node: NodeContext,
    author: Actor,
    obj: ContentObject,
    *,
    content_text_or_html: str | None = None,
    summary: str | None = None,
    sensitive: bool | None = None,
    name: str | None = None,
    language: str | None = None,
    attachments: Sequence[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> ContentObject:
    """Edit a post and publish an Update (with ``updated``) to the same audience.

    ``None`` leaves a field as it is; an empty summary removes the content
    warning. Actors newly mentioned by the edit join the addressing.
    ``attachments`` and ``extra`` (a poll's options) replace the old ones.
    """
    _own_live(obj, author)
    _check_text(content_text_or_html or "", summary, name)
    if language is not None and not LANGUAGE_RE.match(language):
        raise InvalidPostError(f"invalid language tag {language[:20]!r}")
    if content_text_or_html is not None:
        rendered = await render_content(session, node, content_text_or_html)
        media = obj.attachments if attachments is None else attachments
        if not rendered.html and not (name or obj.name) and not media:
            raise InvalidPostError("a post needs content")
        await check_mentions(session, author, rendered.mentioned)
        kept = [a for a in [*obj.to, *obj.cc] if not is_public(a) and a != author.followers_url]
        to, cc = addressing_for(
            Visibility(obj.visibility), author, [*kept, *(a.ap_id for a in rendered.mentioned)]
        )
        obj.content, obj.tags, obj.to, obj.cc = rendered.html, rendered.tags, to, cc
    if summary is not None:
        obj.summary = plain_text(summary) or None
        if obj.summary:
            obj.sensitive = True
    if sensitive is not None:
        obj.sensitive = sensitive or bool(obj.summary)
    if name is not None:
        obj.name = plain_text(name) or None
    if language is not None:
        obj.language = language
    if attachments is not None:
        obj.attachments = [dict(item) for item in attachments]
    if extra is not None:
        obj.extra = dict(extra)
    obj.updated_at = utcnow()
    session.add(obj)
    await session.flush()
    if extra is not None:
        await track_poll(session, obj)  # an edited poll ends when its new endTime says
    doc = _embedded(obj, author, node)
    doc.setdefault("updated", _iso(obj.updated_at))
    await _publish(session, node, author, "Update", obj, doc)
    return obj


async def delete_post(
    session: AsyncSession,
    node: NodeContext,
    author: Actor,
    obj: ContentObject,
    *,
    extra_recipients: list[str] | None = None,
) -> ContentObject:
    """Turn our post into a tombstone and publish a Delete to everyone who had it.

    The row keeps its id and addressing (so a late fetch gets 410, and only
    its audience learns even that); earlier activities that embedded the post
    are cut back to a Tombstone, so the outbox cannot keep serving the text.
    """
    _own_live(obj, author)
    gone = {"id": obj.ap_id, "type": "Tombstone", "formerType": obj.type, "deleted": _iso(utcnow())}
    earlier = await session.exec(
        select(Activity).where(
            Activity.object_ap_id == obj.ap_id, col(Activity.type).in_(["Create", "Update"])
        )
    )
    for activity in earlier.all():
        activity.body = {**activity.body, "object": gone}
        session.add(activity)
    await session.exec(delete(Featured).where(col(Featured.object_ap_id) == obj.ap_id))
    await tombstone(session, obj)
    await _publish(session, node, author, "Delete", obj, gone, extra_recipients)
    return obj
