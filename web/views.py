"""What a page shows of posts: author, safe HTML, images, poll and the viewer's marks.

Built from what the domain functions return (timelines, threads, account
posts); authors, boosted posts and the viewer's likes and boosts are loaded
in one query each per page. HTML bodies go through the sanitizer again on the
way out (a fixed point: harmless for ours, a second guard for what peers
sent); every other value is escaped by the templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from content import polls
from content.interactions import marked_by
from content.sanitize import sanitize_html
from storage.models import Actor, Announce, ContentObject
from storage.repos.by_id import actors_by_id, objects_by_id


@dataclass
class Image:
    url: str
    description: str
    preview: str | None = None


@dataclass
class PostView:
    obj: ContentObject
    author: Actor
    html: Markup
    page_url: str
    images: list[Image] = field(default_factory=list)
    poll: list[dict[str, Any]] | None = None
    boosted_by: Actor | None = None
    liked: bool = False
    boosted: bool = False


def is_material(obj: ContentObject) -> bool:
    """Our materials' objects name their page (``/materials/ID``) as their ``url``."""
    return obj.local and obj.type == "Article" and (obj.url or "").endswith(f"/materials/{obj.id}")


def page_url(obj: ContentObject, author: Actor) -> str:
    """Where a person reads ``obj`` on this node: its own URL if ours, else our copy."""
    if obj.local and obj.id is not None:
        if is_material(obj):
            return f"/materials/{obj.id}"
        if obj.type == "Event":
            return f"/events/{obj.id}"
        return f"/@{author.username}/{obj.id}"
    return f"/statuses/{obj.id}"


def _images(obj: ContentObject) -> list[Image]:
    found = []
    for item in obj.attachments[:8]:
        if not isinstance(item, dict):
            continue
        media = str(item.get("mediaType") or "")
        url = item.get("url")
        if isinstance(url, list):
            url = next((u.get("href") for u in url if isinstance(u, dict)), None)
        elif isinstance(url, dict):
            url = url.get("href")
        if not isinstance(url, str) or not url.startswith(("https://", "http://", "/")):
            continue
        if media.startswith("image/") or item.get("type") == "Image":
            found.append(Image(url, str(item.get("name") or "")))
    return found


async def post_views(
    session: AsyncSession,
    items: Sequence[ContentObject | Announce],
    viewer: Actor | None,
) -> list[PostView]:
    """Views of posts (and boosts, shown as the boosted post), in the order given."""
    boosted = await objects_by_id(session, {i.object_id for i in items if isinstance(i, Announce)})
    pairs: list[tuple[ContentObject, Announce | None]] = []
    for item in items:
        if isinstance(item, Announce):
            obj = boosted.get(item.object_id)
            if obj is not None and obj.deleted_at is None:
                pairs.append((obj, item))
        elif item.deleted_at is None:
            pairs.append((item, None))
    wanted = {obj.author_id for obj, _ in pairs} | {b.actor_id for _, b in pairs if b}
    actors = await actors_by_id(session, wanted)
    liked: set[int] = set()
    boosted_ids: set[int] = set()
    if viewer is not None:
        ids = {obj.id for obj, _ in pairs if obj.id is not None}
        liked, boosted_ids = await marked_by(session, viewer, ids)
    views = []
    for obj, boost in pairs:
        author = actors.get(obj.author_id)
        if author is None:
            continue
        view = PostView(
            obj,
            author,
            Markup(sanitize_html(obj.content)),  # noqa: S704 (sanitized just now)
            page_url(obj, author),
            _images(obj),
            polls.options_of(obj)[0] if obj.type == "Question" else None,
            actors.get(boost.actor_id) if boost else None,
            liked=obj.id in liked,
            boosted=obj.id in boosted_ids,
        )
        views.append(view)
    return views


async def post_view(
    session: AsyncSession, obj: ContentObject, viewer: Actor | None
) -> PostView | None:
    found = await post_views(session, [obj], viewer)
    return found[0] if found else None


@dataclass(frozen=True)
class Paging:
    """A newest-first page (the shape ``content.timelines.Paging`` asks for)."""

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20

    @property
    def ascending(self) -> bool:
        return False


def paging(raw: str | None, limit: int = 20) -> Paging:
    """``?max_id=`` from a query, ignoring anything that is not a plain id."""
    value = raw if raw and raw.isdigit() and len(raw) < 20 else None
    return Paging(max_id=int(value) if value else None, limit=limit)
