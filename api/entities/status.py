"""The Mastodon ``Status`` entity, for one post or a page of them.

Timelines render twenty statuses at a time, so everything a status needs
beyond its own row (authors and their Account entities, reply parents,
mentioned actors, uploads, the app that posted it, and the viewer's likes,
boosts, bookmarks, pins and poll votes) is loaded for the whole page in one
query each: :func:`status_entities` costs a fixed handful of queries whatever
the page size. :func:`status_entity` is the same for one post.

An item is a post (:class:`ContentObject`) or a boost (:class:`Announce`):
a boost is a status of its own (its id is the Announce row's id, its account
the booster) wrapping the boosted post in ``reblog``, as Mastodon shows it.

Callers decide who may see what (:mod:`content.visibility`); this module only
renders. Every documented field is present with its type; ``card`` is null
and ``filtered`` empty (no link previews or filters here yet).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.account import account_entities, acct_of
from api.entities.material_status import (
    is_material_object,
    status_attachments,
    status_content,
)
from api.entities.media import attachment_entities, media_entity
from api.entities.poll import poll_entity
from api.entities.time import iso_ms, iso_ms_or_none
from content.communities.access import members_only_posts
from content.formatting import tag_url
from content.moderation import filters
from storage.models import (
    Actor,
    Announce,
    Bookmark,
    ContentObject,
    Featured,
    Like,
    MediaAttachment,
    OAuthApp,
    PollVote,
    StatusSource,
    Visibility,
)

__all__ = [
    "StatusItem",
    "media_entity",
    "poll_entity",
    "status_entities",
    "status_entity",
    "visibility_name",
]

StatusItem = ContentObject | Announce

# Our "followers" is Mastodon's "private"; the rest share their names.
_VISIBILITY_NAMES = {
    Visibility.PUBLIC: "public",
    Visibility.UNLISTED: "unlisted",
    Visibility.FOLLOWERS: "private",
    Visibility.DIRECT: "direct",
    # Shown as Mastodon's "private" with ``local_only`` (glitch-soc's flag), so
    # every client renders it and the ones that know the flag show it.
    Visibility.LOCAL: "private",
}
# Types whose title Mastodon shows above the text (an Article's headline, an Event's name).
_TITLED = frozenset({"Article", "Page", "Event", "Document"})


def visibility_name(visibility: str) -> str:
    return _VISIBILITY_NAMES.get(Visibility(visibility), "public")


@dataclass
class _Page:
    """Everything a page of statuses needs, loaded once per page."""

    objects: dict[int, ContentObject] = field(default_factory=dict)
    actors: dict[int, Actor] = field(default_factory=dict)
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    parents: dict[str, tuple[int, int]] = field(default_factory=dict)
    mentioned: dict[str, Actor] = field(default_factory=dict)
    uploads: dict[int, list[MediaAttachment]] = field(default_factory=dict)
    apps: dict[int, OAuthApp] = field(default_factory=dict)
    liked: set[int] = field(default_factory=set)
    boosted: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    pinned: set[str] = field(default_factory=set)
    votes: dict[int, list[int]] = field(default_factory=dict)
    #: Posts of a members-only community: object id → the community's URI.
    members_only: dict[int, str] = field(default_factory=dict)


async def _objects(session: AsyncSession, items: Sequence[StatusItem]) -> dict[int, ContentObject]:
    found = {o.id: o for o in items if isinstance(o, ContentObject) and o.id is not None}
    missing = {a.object_id for a in items if isinstance(a, Announce)} - found.keys()
    if missing:
        rows = await session.exec(select(ContentObject).where(col(ContentObject.id).in_(missing)))
        found.update({o.id: o for o in rows.all() if o.id is not None})
    return found


async def _actors(session: AsyncSession, ids: Iterable[int]) -> dict[int, Actor]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.exec(select(Actor).where(col(Actor.id).in_(wanted)))
    return {a.id: a for a in rows.all() if a.id is not None}


async def _parents(
    session: AsyncSession, objects: Iterable[ContentObject]
) -> dict[str, tuple[int, int]]:
    wanted = {o.in_reply_to for o in objects if o.in_reply_to}
    if not wanted:
        return {}
    rows = await session.exec(
        select(ContentObject.ap_id, ContentObject.id, ContentObject.author_id).where(
            col(ContentObject.ap_id).in_(wanted)
        )
    )
    return {ap_id: (oid, author) for ap_id, oid, author in rows.all() if oid is not None}


async def _mentioned(session: AsyncSession, objects: Iterable[ContentObject]) -> dict[str, Actor]:
    hrefs = {
        str(tag["href"])
        for o in objects
        for tag in o.tags
        if tag.get("type") == "Mention" and tag.get("href")
    }
    if not hrefs:
        return {}
    rows = await session.exec(
        select(Actor).where(or_(col(Actor.ap_id).in_(hrefs), col(Actor.url).in_(hrefs)))
    )
    found: dict[str, Actor] = {}
    for actor in rows.all():
        found[actor.ap_id] = actor
        if actor.url:
            found.setdefault(actor.url, actor)
    return found


async def _local_extras(session: AsyncSession, page: _Page, local_ids: set[int]) -> None:
    """Uploads and posting apps: only our own posts have them."""
    if not local_ids:
        return
    uploads = await session.exec(
        select(MediaAttachment)
        .where(col(MediaAttachment.object_id).in_(local_ids))
        .order_by(col(MediaAttachment.position))
    )
    for row in uploads.all():
        assert row.object_id is not None
        page.uploads.setdefault(row.object_id, []).append(row)
    apps = await session.exec(
        select(StatusSource.object_id, OAuthApp)
        .join(OAuthApp, col(OAuthApp.id) == StatusSource.app_id)
        .where(col(StatusSource.object_id).in_(local_ids))
    )
    page.apps = {object_id: app for object_id, app in apps.all()}


async def _viewer_state(session: AsyncSession, page: _Page, viewer: Actor, ids: set[int]) -> None:
    """What the viewer did to these posts: one query per kind of action."""
    likes = await session.exec(
        select(Like.object_id).where(Like.actor_id == viewer.id, col(Like.object_id).in_(ids))
    )
    page.liked = set(likes.all())
    boosts = await session.exec(
        select(Announce.object_id).where(
            Announce.actor_id == viewer.id, col(Announce.object_id).in_(ids)
        )
    )
    page.boosted = set(boosts.all())
    marks = await session.exec(
        select(Bookmark.object_id).where(
            Bookmark.actor_id == viewer.id, col(Bookmark.object_id).in_(ids)
        )
    )
    page.bookmarked = set(marks.all())
    own = [o.ap_id for o in page.objects.values() if o.author_id == viewer.id]
    if own:
        pins = await session.exec(
            select(Featured.object_ap_id).where(
                Featured.actor_id == viewer.id, col(Featured.object_ap_id).in_(own)
            )
        )
        page.pinned = set(pins.all())
    polls = {o.id for o in page.objects.values() if o.type == "Question" and o.id is not None}
    if polls:
        votes = await session.exec(
            select(PollVote.object_id, PollVote.choice).where(
                PollVote.actor_id == viewer.id, col(PollVote.object_id).in_(polls)
            )
        )
        for object_id, choice in votes.all():
            page.votes.setdefault(object_id, []).append(choice)


async def _load(
    session: AsyncSession, node: NodeContext, items: Sequence[StatusItem], viewer: Actor | None
) -> _Page:
    page = _Page(objects=await _objects(session, items))
    objects = list(page.objects.values())
    author_ids = {o.author_id for o in objects}
    author_ids |= {a.actor_id for a in items if isinstance(a, Announce)}
    page.parents = await _parents(session, objects)
    author_ids |= {author for _oid, author in page.parents.values()}
    page.actors = await _actors(session, author_ids)
    shown = [
        page.actors[i]
        for i in {o.author_id for o in objects}
        | {a.actor_id for a in items if isinstance(a, Announce)}
        if i in page.actors
    ]
    entities = await account_entities(session, node, shown)
    page.accounts = {int(entity["id"]): entity for entity in entities}
    page.mentioned = await _mentioned(session, objects)
    page.members_only = await members_only_posts(session, objects)
    await _local_extras(session, page, {o.id for o in objects if o.local and o.id is not None})
    if viewer is not None and viewer.id is not None and page.objects:
        await _viewer_state(session, page, viewer, set(page.objects))
    return page


def _content(obj: ContentObject) -> str:
    if is_material_object(obj):
        return status_content(obj)
    if obj.name and obj.type in _TITLED:
        return f"<p><strong>{html.escape(obj.name, quote=False)}</strong></p>{obj.content}"
    return obj.content


def _mentions(obj: ContentObject, page: _Page) -> list[dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for tag in obj.tags:
        if tag.get("type") != "Mention":
            continue
        actor = page.mentioned.get(str(tag.get("href")))
        if actor is None or actor.id is None or actor.id in found:
            continue
        found[actor.id] = {
            "id": str(actor.id),
            "username": actor.username,
            "acct": acct_of(actor),
            "url": actor.url or actor.ap_id,
        }
    return list(found.values())


def _tags(node: NodeContext, obj: ContentObject) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for tag in obj.tags:
        name = str(tag.get("name") or "").lstrip("#")
        if tag.get("type") == "Hashtag" and name and name.lower() not in seen:
            seen[name.lower()] = {"name": name, "url": tag_url(node.config.base_url, name)}
    return list(seen.values())


def _emojis(obj: ContentObject) -> list[dict[str, Any]]:
    return [
        {
            "shortcode": str(tag["name"]).strip(":"),
            "url": tag["icon"],
            "static_url": tag["icon"],
            "visible_in_picker": False,
        }
        for tag in obj.tags
        if tag.get("type") == "Emoji" and tag.get("name") and tag.get("icon")
    ]


def _application(obj: ContentObject, page: _Page) -> dict[str, Any] | None:
    app = page.apps.get(obj.id) if obj.id is not None else None
    if app is None:
        return None
    return {"name": app.name, "website": app.website}


def _post(
    node: NodeContext, obj: ContentObject, page: _Page, viewer: Actor | None
) -> dict[str, Any]:
    assert obj.id is not None
    parent = page.parents.get(obj.in_reply_to) if obj.in_reply_to else None
    own = viewer is not None and viewer.id == obj.author_id
    material = is_material_object(obj)
    community = page.members_only.get(obj.id)
    return {
        "id": str(obj.id),
        "uri": obj.ap_id,
        "url": obj.url or obj.ap_id,
        "created_at": iso_ms(obj.published),
        "edited_at": iso_ms_or_none(obj.updated_at),
        "account": page.accounts[obj.author_id],
        "content": _content(obj),
        "spoiler_text": "" if material else (obj.summary or ""),
        "sensitive": obj.sensitive,
        # A members-only community's post is stored "direct" (to the community
        # alone); Mastodon apps would file it under private mentions. It is shown
        # as "private" (members, like followers, read it) and named by our
        # extension; replies to it stay members-only whatever visibility an app
        # asks for (``content.posts.create_post``).
        "visibility": "private" if community else visibility_name(obj.visibility),
        "local_only": obj.visibility == Visibility.LOCAL,
        "members_only": community is not None,
        "community_uri": community,
        "language": obj.language,
        "in_reply_to_id": str(parent[0]) if parent else None,
        "in_reply_to_account_id": str(parent[1]) if parent else None,
        "reblog": None,
        "media_attachments": status_attachments(obj)
        if material
        else attachment_entities(node.config, obj, page.uploads.get(obj.id, [])),
        "mentions": _mentions(obj, page),
        "tags": _tags(node, obj),
        "emojis": _emojis(obj),
        "poll": poll_entity(
            obj,
            own_votes=page.votes.get(obj.id, []) if viewer is not None else None,
            viewer_is_author=own,
        ),
        "card": None,
        "application": _application(obj, page),
        "replies_count": obj.replies_count,
        "reblogs_count": obj.announces_count,
        "favourites_count": obj.likes_count,
        "favourited": obj.id in page.liked,
        "reblogged": obj.id in page.boosted,
        "bookmarked": obj.id in page.bookmarked,
        "muted": False,
        "pinned": obj.ap_id in page.pinned,
        "filtered": [],
    }


def _boost(
    node: NodeContext, boost: Announce, page: _Page, viewer: Actor | None
) -> dict[str, Any] | None:
    obj = page.objects.get(boost.object_id)
    if obj is None or boost.actor_id not in page.accounts:
        return None
    inner = _post(node, obj, page, viewer)
    return {
        **inner,
        "id": str(boost.id),
        "uri": boost.activity_ap_id,
        "url": None,
        "created_at": iso_ms(boost.created_at),
        "edited_at": None,
        "account": page.accounts[boost.actor_id],
        "content": "",
        "spoiler_text": "",
        "sensitive": False,
        "visibility": "public" if obj.visibility == Visibility.PUBLIC else "unlisted",
        "language": None,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": inner,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "poll": None,
        "application": None,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "pinned": False,
    }


async def status_entities(
    session: AsyncSession,
    node: NodeContext,
    items: Sequence[StatusItem],
    viewer: Actor | None,
) -> list[dict[str, Any]]:
    """Statuses for ``items`` in order (a boost whose post is gone is left out)."""
    page = await _load(session, node, items, viewer)
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Announce):
            entity = _boost(node, item, page, viewer)
            if entity is not None:
                out.append(entity)
        elif item.author_id in page.accounts:
            out.append(_post(node, item, page, viewer))
    if viewer is not None and viewer.id is not None and out:
        await _apply_filters(session, viewer.id, page, out)
    return out


async def _apply_filters(
    session: AsyncSession, viewer_id: int, page: _Page, out: list[dict[str, Any]]
) -> None:
    """Mastodon's ``filtered``: the viewer's v2 keyword filters each post matches
    (one query for the viewer's filters, one more only when they have some)."""
    objects = list(page.objects.values())
    matches = await filters.matches_for(session, viewer_id, objects)
    if not matches:
        return
    for entity in out:
        for target in (entity, entity.get("reblog")):
            if isinstance(target, dict) and int(target["id"]) in matches:
                target["filtered"] = [
                    {
                        "filter": {
                            "id": str(f.id),
                            "title": f.title,
                            "context": list(f.contexts),
                            "expires_at": iso_ms_or_none(f.expires_at),
                            "filter_action": f.action,
                        },
                        "keyword_matches": words,
                        "status_matches": [],
                    }
                    for f, words in matches[int(target["id"])]
                ]


async def status_entity(
    session: AsyncSession, node: NodeContext, obj: StatusItem, viewer: Actor | None
) -> dict[str, Any]:
    """The status for one post (or boost), as the viewer sees it."""
    entities = await status_entities(session, node, [obj], viewer)
    if not entities:
        raise LookupError("the status cannot be rendered (its post or author is gone)")
    return entities[0]
