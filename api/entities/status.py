"""The Mastodon ``Status`` entity, for one post or a page of them.

:func:`status_entities` renders a page from what :mod:`api.entities.status_page`
loads for the whole page at once, so it costs a fixed handful of queries
whatever the page size; :func:`status_entity` is the same for one post.

An item is a post (:class:`ContentObject`) or a boost (:class:`Announce`):
a boost is a status of its own (its id is the Announce row's id, its account
the booster) wrapping the boosted post in ``reblog``, as Mastodon shows it.

Callers decide who may see what (:mod:`content.visibility`); this module only
renders. Every documented field is present with its type; ``card`` is null
(no link previews here yet), and ``filtered`` lists the viewer's keyword
filters each post matches.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.material_status import (
    is_material_object,
    status_attachments,
    status_content,
)
from api.entities.media import attachment_entities, media_entity
from api.entities.poll import poll_entity
from api.entities.status_page import StatusItem, StatusPage, load_page
from api.entities.status_tags import emoji_entities, mention_entities, tag_entities
from api.entities.time import iso_ms, iso_ms_or_none
from content.moderation import filters
from storage.models import Actor, Announce, ContentObject, Visibility

__all__ = [
    "StatusItem",
    "media_entity",
    "poll_entity",
    "status_entities",
    "status_entity",
    "visibility_name",
]

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


def _content(obj: ContentObject) -> str:
    if is_material_object(obj):
        return status_content(obj)
    if obj.name and obj.type in _TITLED:
        return f"<p><strong>{html.escape(obj.name, quote=False)}</strong></p>{obj.content}"
    return obj.content


def _application(obj: ContentObject, page: StatusPage) -> dict[str, Any] | None:
    app = page.apps.get(obj.id) if obj.id is not None else None
    if app is None:
        return None
    return {"name": app.name, "website": app.website}


def _post(
    node: NodeContext, obj: ContentObject, page: StatusPage, viewer: Actor | None
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
        "mentions": mention_entities(obj, page.mentioned),
        "tags": tag_entities(node, obj),
        "emojis": emoji_entities(obj),
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
    node: NodeContext, boost: Announce, page: StatusPage, viewer: Actor | None
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
    page = await load_page(session, node, items, viewer)
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
    session: AsyncSession, viewer_id: int, page: StatusPage, out: list[dict[str, Any]]
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
