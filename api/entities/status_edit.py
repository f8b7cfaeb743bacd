"""The Mastodon ``StatusEdit`` (one version in a post's history) and ``StatusSource`` entities."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.account import account_entity
from api.entities.media import attachment_entities
from api.entities.time import iso_ms
from content.edits import Version
from storage.models import Actor, ContentObject, MediaAttachment


async def status_edit_entities(
    session: AsyncSession, node: NodeContext, obj: ContentObject, versions: list[Version]
) -> list[dict[str, Any]]:
    """The history of ``obj``, oldest version first (the caller checked it is readable)."""
    author = await session.get(Actor, obj.author_id)
    assert author is not None
    account = await account_entity(session, node, author)
    uploads = list(
        (
            await session.exec(select(MediaAttachment).where(MediaAttachment.object_id == obj.id))
        ).all()
    )
    out = []
    for version in versions:
        shown = obj.model_copy(update={"attachments": version.attachments})
        out.append(
            {
                "content": version.content,
                "spoiler_text": version.summary or "",
                "sensitive": version.sensitive,
                "created_at": iso_ms(version.created_at),
                "account": account,
                "poll": {"options": [{"title": name} for name in version.poll_options]}
                if version.poll_options
                else None,
                "media_attachments": attachment_entities(node.config, shown, uploads),
                "emojis": [],
            }
        )
    return out


def status_source_entity(obj: ContentObject, text: str) -> dict[str, Any]:
    return {"id": str(obj.id), "text": text, "spoiler_text": obj.summary or ""}
