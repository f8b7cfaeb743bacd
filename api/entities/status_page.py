"""Everything a page of statuses needs beyond its own rows, loaded once per page.

Timelines render twenty statuses at a time, so authors and their Account
entities, reply parents, mentioned actors, uploads, the app that posted each
post, and the viewer's likes, boosts, bookmarks, pins and poll votes are
loaded for the whole page in one query each: a page costs a fixed handful of
queries whatever its size. Rendering (:mod:`api.entities.status`) then reads
only from the :class:`StatusPage`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.account import account_entities
from content.communities.access import members_only_posts
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
)

StatusItem = ContentObject | Announce


@dataclass
class StatusPage:
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


async def _local_extras(session: AsyncSession, page: StatusPage, local_ids: set[int]) -> None:
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


async def _viewer_state(
    session: AsyncSession, page: StatusPage, viewer: Actor, ids: set[int]
) -> None:
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


async def load_page(
    session: AsyncSession, node: NodeContext, items: Sequence[StatusItem], viewer: Actor | None
) -> StatusPage:
    page = StatusPage(objects=await _objects(session, items))
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
