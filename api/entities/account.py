"""The Mastodon ``Account`` entity (and ``CredentialAccount``) from an actor row.

Every documented field is present, with its type, for every actor: apps such
as Tusky decode with strict adapters and crash on a missing ``group`` or
``header``. Where we have nothing to say we say what Mastodon says: a default
``missing.png`` avatar and header served by this node, ``emojis: []``,
``moved: null``.

Schools show through what a Mastodon app already renders: a local account's
Staffroom role (teacher, student, parent, moderator, admin) is its ``roles``
badge, its subject and school are profile ``fields``, and a community (an
ActivityPub ``Group``) has ``group: true``.

Counts come from our own tables (accepted follows, live posts and boosts):
for remote actors that is what this node knows, which is what Mastodon shows
for accounts it has not crawled either.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.time import date_only, midnight_ms
from content.formatting import linkify_urls
from content.sanitize import plain_text, sanitize_html
from storage.models import (
    Account,
    Actor,
    ActorType,
    Announce,
    ContentObject,
    Follow,
    FollowState,
    Role,
    Visibility,
)

#: Served by the node itself (see :mod:`api.v1.media_files`) when an actor has no image.
MISSING_AVATAR_PATH = "/avatars/original/missing.png"
MISSING_HEADER_PATH = "/headers/original/missing.png"

BOT_TYPES = frozenset({ActorType.SERVICE, ActorType.APPLICATION})

# Mastodon's role permission bits (app/models/user_role.rb): what the role lets an app offer.
_ADMINISTRATOR = 1
_MANAGE_REPORTS = 1 << 4
_MANAGE_BLOCKS = 1 << 7
_MANAGE_USERS = 1 << 10
_INVITE_USERS = 1 << 16

# Staffroom role → (stable id, display name, colour, permissions, highlighted).
_ROLES: dict[str, tuple[str, str, str, int, bool]] = {
    Role.ADMIN: ("1", "Admin", "#d0021b", _ADMINISTRATOR, True),
    Role.MODERATOR: (
        "2",
        "Moderator",
        "#f5a623",
        _MANAGE_REPORTS | _MANAGE_BLOCKS | _MANAGE_USERS | _INVITE_USERS,
        True,
    ),
    Role.TEACHER: ("3", "Teacher", "#4a90e2", _INVITE_USERS, True),
    Role.STUDENT: ("4", "Student", "#7ed321", 0, True),
    Role.PARENT: ("5", "Parent", "#9013fe", 0, True),
}


def acct_of(actor: Actor) -> str:
    """``name`` for a local actor, ``name@domain`` for a remote one (the WebFinger handle)."""
    return actor.username if actor.local else f"{actor.username}@{actor.domain}"


def role_entity(role: str) -> dict[str, Any]:
    """The ``Role`` entity (``CredentialAccount.role``) for a Staffroom role."""
    role_id, name, color, permissions, highlighted = _ROLES.get(role, ("0", "", "", 0, False))
    return {
        "id": role_id,
        "name": name,
        "color": color,
        "permissions": str(permissions),
        "highlighted": highlighted,
    }


def account_role_entity(role: str) -> dict[str, Any]:
    """The ``AccountRole`` badge (``Account.roles[]``): id, name, colour."""
    full = role_entity(role)
    return {"id": full["id"], "name": full["name"], "color": full["color"]}


@lru_cache(maxsize=2048)
def remote_note(summary: str | None) -> str:
    """A remote actor's bio, sanitized as posts are: rows keep what the actor document
    said (``actors`` sits below the sanitizer), so this is where it becomes safe HTML."""
    return sanitize_html(summary or "")


@lru_cache(maxsize=2048)
def remote_text(value: str | None) -> str:
    """A remote actor's plain-text field (its name, a profile field's name): the
    markup a stranger put there is dropped, entities decoded (the app escapes it)."""
    return plain_text(value) or ""


def _field_entity(field: dict[str, Any], *, local: bool) -> dict[str, Any]:
    name = str(field.get("name", "")) if local else remote_text(str(field.get("name", "")))
    value = str(field.get("value", ""))
    # Ours are typed as plain text; remote ones arrive as HTML and are sanitized here.
    rendered = linkify_urls(html.escape(value, quote=False)) if local else sanitize_html(value)
    return {"name": name, "value": rendered, "verified_at": None}


def _source_field(field: dict[str, Any]) -> dict[str, Any]:
    name, value = str(field.get("name", "")), str(field.get("value", ""))
    return {"name": name, "value": value, "verified_at": None}


_BREAK_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH_RE = re.compile(r"</p>\s*<p>", re.IGNORECASE)


def note_source(summary: str) -> str:
    """The bio as the plain text it was typed as (paragraphs and line breaks kept)."""
    text = _PARAGRAPH_RE.sub("\n\n", _BREAK_RE.sub("\n", summary))
    return plain_text(text) or ""


class _Stats:
    """Counts for a batch of actors, fetched in a handful of grouped queries."""

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.last_status: dict[int, datetime] = {}
        self.followers: dict[int, int] = {}
        self.following: dict[int, int] = {}
        self.roles: dict[int, str] = {}


async def _stats(session: AsyncSession, ids: list[int]) -> _Stats:
    stats = _Stats()
    if not ids:
        return stats
    live = col(ContentObject.deleted_at).is_(None)
    rows = await session.exec(
        select(ContentObject.author_id, func.count(), func.max(ContentObject.published))
        .where(col(ContentObject.author_id).in_(ids), live)
        .group_by(col(ContentObject.author_id))
    )
    for author_id, count, last in rows.all():
        stats.statuses[author_id] = int(count)
        if last is not None:
            stats.last_status[author_id] = last
    boosts = await session.exec(
        select(Announce.actor_id, func.count())
        .where(col(Announce.actor_id).in_(ids))
        .group_by(col(Announce.actor_id))
    )
    for actor_id, count in boosts.all():
        stats.statuses[actor_id] = stats.statuses.get(actor_id, 0) + int(count)
    accepted = Follow.state == FollowState.ACCEPTED
    followers = await session.exec(
        select(Follow.followee_id, func.count())
        .where(col(Follow.followee_id).in_(ids), accepted)
        .group_by(col(Follow.followee_id))
    )
    stats.followers = {actor_id: int(count) for actor_id, count in followers.all()}
    following = await session.exec(
        select(Follow.follower_id, func.count())
        .where(col(Follow.follower_id).in_(ids), accepted)
        .group_by(col(Follow.follower_id))
    )
    stats.following = {actor_id: int(count) for actor_id, count in following.all()}
    roles = await session.exec(
        select(Account.actor_id, Account.role).where(col(Account.actor_id).in_(ids))
    )
    stats.roles = {actor_id: role for actor_id, role in roles.all()}
    return stats


def _entity(node: NodeContext, actor: Actor, stats: _Stats) -> dict[str, Any]:
    assert actor.id is not None
    base = node.config.base_url
    avatar = actor.icon_url or base + MISSING_AVATAR_PATH
    header = actor.image_url or base + MISSING_HEADER_PATH
    role = stats.roles.get(actor.id)
    return {
        "id": str(actor.id),
        "username": actor.username,
        "acct": acct_of(actor),
        "url": actor.url or actor.ap_id,
        "uri": actor.ap_id,
        "display_name": (actor.display_name or "")
        if actor.local
        else remote_text(actor.display_name),
        "note": (actor.summary or "") if actor.local else remote_note(actor.summary),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "locked": actor.manually_approves_followers,
        "fields": [_field_entity(f, local=actor.local) for f in actor.fields],
        "emojis": [],
        "bot": actor.type in BOT_TYPES,
        "group": actor.type == ActorType.GROUP,
        "discoverable": actor.discoverable,
        "indexable": actor.discoverable,
        "noindex": not actor.discoverable,
        "hide_collections": False,
        "moved": None,
        "suspended": actor.gone,
        "limited": False,
        "created_at": midnight_ms(actor.published),
        "last_status_at": date_only(stats.last_status.get(actor.id)),
        "statuses_count": stats.statuses.get(actor.id, 0),
        "followers_count": stats.followers.get(actor.id, 0),
        "following_count": stats.following.get(actor.id, 0),
        "roles": [account_role_entity(role)] if role is not None else [],
    }


async def account_entities(
    session: AsyncSession, node: NodeContext, actors: Sequence[Actor]
) -> list[dict[str, Any]]:
    """``Account`` entities for many actors at once (lists, search results), in order."""
    ids = list({a.id for a in actors if a.id is not None})
    stats = await _stats(session, ids)
    return [_entity(node, actor, stats) for actor in actors]


async def follow_requests_count(session: AsyncSession, actor: Actor) -> int:
    result = await session.exec(
        select(func.count())
        .select_from(Follow)
        .where(Follow.followee_id == actor.id, Follow.state == FollowState.PENDING)
    )
    return int(result.one())


def _privacy(role: str) -> str:
    """The account's real default for new posts: a student's is ``local`` (see
    :func:`actors.minors.default_visibility`), which a client echoing it back as
    ``visibility`` gets accepted, where ``public`` would be refused."""
    return Visibility.LOCAL.value if role == Role.STUDENT else Visibility.PUBLIC.value


async def account_entity(
    session: AsyncSession, node: NodeContext, actor: Actor, *, source: bool = False
) -> dict[str, Any]:
    """The ``Account`` entity for ``actor``; with ``source`` the ``CredentialAccount``
    (what ``verify_credentials`` and ``update_credentials`` return to the owner)."""
    stats = await _stats(session, [actor.id] if actor.id is not None else [])
    entity = _entity(node, actor, stats)
    if source:
        assert actor.id is not None
        role = stats.roles.get(actor.id, Role.TEACHER)
        entity["source"] = {
            "privacy": _privacy(role),
            "sensitive": False,
            "language": "",
            "note": note_source(actor.summary or ""),
            "fields": [_source_field(f) for f in actor.fields],
            "follow_requests_count": await follow_requests_count(session, actor),
            "hide_collections": False,
            "discoverable": actor.discoverable,
            "indexable": actor.discoverable,
            "attribution_domains": [],
        }
        entity["role"] = role_entity(role)
    return entity
