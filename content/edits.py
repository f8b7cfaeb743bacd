"""What the Mastodon API remembers of a local post: its typed source and its earlier versions.

The object holds only rendered HTML, but an app editing or redrafting a post
wants back what the author typed (``GET /statuses/:id/source``, ``text`` in a
delete's answer): :func:`save_source` keeps it, with the app that posted.

Edits keep history: before :func:`content.posts.update_post` changes a post,
:func:`record_version` stores the version about to be replaced, stamped with
the time it became current. ``GET /statuses/:id/history`` lists those and
then the current version, oldest first, as Mastodon does (an unedited post
has a history of one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.polls import options_of
from content.sanitize import plain_text
from storage.ids import new_id
from storage.models import ContentObject, StatusEdit, StatusSource

_BREAK_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH_RE = re.compile(r"</p>\s*<p>", re.IGNORECASE)


@dataclass(frozen=True)
class Version:
    """One version of a post, as ``StatusEdit`` shows it."""

    content: str
    summary: str | None
    sensitive: bool
    created_at: datetime
    attachments: list[dict[str, Any]] = field(default_factory=list)
    poll_options: list[str] = field(default_factory=list)


def html_to_text(value: str) -> str:
    """Plain text from rendered HTML, paragraphs and line breaks kept (remote posts)."""
    return plain_text(_PARAGRAPH_RE.sub("\n\n", _BREAK_RE.sub("\n", value))) or ""


async def save_source(
    session: AsyncSession, obj: ContentObject, text: str, *, app_id: int | None = None
) -> None:
    """Remember what the author typed (on create and on each edit; the app only on create)."""
    assert obj.id is not None
    row = await session.get(StatusSource, obj.id)
    if row is None:
        row = StatusSource(object_id=obj.id, text=text, app_id=app_id)
    else:
        row.text = text
    session.add(row)
    await session.flush()


async def source_text(session: AsyncSession, obj: ContentObject) -> str:
    row = await session.get(StatusSource, obj.id) if obj.id is not None else None
    return row.text if row is not None else html_to_text(obj.content)


def _poll_names(obj: ContentObject) -> list[str]:
    return [str(option.get("name", "")) for option in options_of(obj)[0]]


async def record_version(session: AsyncSession, obj: ContentObject) -> None:
    """Keep the current version of ``obj`` before an edit replaces it."""
    assert obj.id is not None
    session.add(
        StatusEdit(
            id=new_id(),
            object_id=obj.id,
            content=obj.content,
            summary=obj.summary,
            sensitive=obj.sensitive,
            attachments=[dict(item) for item in obj.attachments],
            poll_options=_poll_names(obj),
            created_at=obj.updated_at or obj.published,
        )
    )
    await session.flush()


async def history(session: AsyncSession, obj: ContentObject) -> list[Version]:
    """Every version of ``obj``, oldest first, the current one last."""
    rows = await session.exec(
        select(StatusEdit).where(StatusEdit.object_id == obj.id).order_by(col(StatusEdit.id))
    )
    versions = [
        Version(
            content=row.content,
            summary=row.summary,
            sensitive=row.sensitive,
            created_at=row.created_at,
            attachments=list(row.attachments),
            poll_options=list(row.poll_options),
        )
        for row in rows.all()
    ]
    versions.append(
        Version(
            content=obj.content,
            summary=obj.summary,
            sensitive=obj.sensitive,
            created_at=obj.updated_at or obj.published,
            attachments=list(obj.attachments),
            poll_options=_poll_names(obj),
        )
    )
    return versions
