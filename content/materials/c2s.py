"""A material posted by a client to its outbox (ActivityPub C2S): a bare ``Article``.

The outbox takes an ``Article`` carrying our ``materialType`` like any other
object (wrapped in a ``Create``); it becomes a material with the same rules
as one made through the client API. JSON cannot carry file bytes, so the
Article's attachments (``Document``s by ``url``, ``Link``s by ``href``) become
the material's links; files are uploaded through ``/api/v1/staffroom/materials``.
The description is the ``source`` Markdown when the client sends one, else
the text of ``content``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.materials.drafts import MaterialDraft
from content.materials.files import staged_files
from content.materials.publishing import create_material
from content.materials.vocabulary import DEFAULT_LICENSE, DEFAULT_TYPE
from content.sanitize import plain_text
from federation.vocab import as_list, text_of, type_of, url_of
from storage.models import Actor, Visibility


def _links(obj: dict[str, Any]) -> list[str]:
    found = []
    for item in as_list(obj.get("attachment")):
        if not isinstance(item, dict):
            continue
        url = url_of(item.get("href") if type_of(item) == "Link" else item.get("url"))
        if isinstance(url, str):
            found.append(url)
    return found


def _strings(value: Any) -> list[str]:
    return [v for v in as_list(value) if isinstance(v, str)]


def draft_from_c2s(
    obj: dict[str, Any], extra: dict[str, Any], visibility: Visibility
) -> MaterialDraft:
    """The draft an outbox ``Article`` describes (``extra``: its terms as the inbox reads them)."""
    source = obj.get("source")
    markdown = source.get("content") if isinstance(source, dict) else None
    description = markdown if isinstance(markdown, str) else plain_text(text_of(obj.get("content")))
    content_map = obj.get("contentMap")
    language = next(iter(content_map), None) if isinstance(content_map, dict) else None
    tags = [
        str(tag.get("name", "")).lstrip("#")
        for tag in as_list(obj.get("tag"))
        if isinstance(tag, dict) and type_of(tag) == "Hashtag"
    ]
    return MaterialDraft(
        title=text_of(obj.get("name")) or "",
        description=description or "",
        links=_links(obj),
        subjects=_strings(extra.get("schoolSubject")),
        grades=_strings(extra.get("grade")),
        material_type=str(extra.get("materialType") or DEFAULT_TYPE),
        license=str(extra.get("license") or DEFAULT_LICENSE),
        language=language if isinstance(language, str) else None,
        tags=tags,
        visibility=visibility,
    )


async def create_from_c2s(
    session: AsyncSession,
    node: NodeContext,
    actor: Actor,
    obj: dict[str, Any],
    extra: dict[str, Any],
    visibility: Visibility,
) -> str:
    """Create the material; returns its object id (``MaterialError`` if refused)."""
    async with staged_files(node.config) as stage:
        view = await create_material(
            session, node, actor, draft_from_c2s(obj, extra, visibility), stage
        )
    return node.config.object_url(actor.username, view.material.object_id)
