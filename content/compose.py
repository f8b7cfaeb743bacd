"""Posting and editing the way a Mastodon app does: text, media, a poll, a reply, one call.

:func:`post_status` is the one domain call behind ``POST /api/v1/statuses``
(and :func:`edit_status` behind ``PUT /api/v1/statuses/:id``): it checks the
draft against the node's limits, attaches the uploads as AS2 ``Document``s,
turns a poll into a ``Question``, creates the post through
:func:`content.posts.create_post` (which renders, addresses and publishes
it), and remembers the typed source and the posting app.

An ``Idempotency-Key`` makes a retried request safe: the same key from the
same actor within :data:`IDEMPOTENCY_WINDOW` returns the post the first
request made, as Mastodon does (apps retry on flaky mobile networks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.minors import default_visibility
from content.edits import record_version, save_source
from content.events.model import load_view as load_event
from content.events.publishing import delete_event
from content.materials.model import load_view
from content.materials.publishing import delete_material
from content.media import (
    MediaLimits,
    as2_attachment,
    attach,
    release_uploads,
    uploads_for_post,
)
from content.polls import PollError, PollLimits, options_of, question_extra
from content.posts import create_post, delete_post, update_post
from content.visibility import may_read
from storage.ids import new_id
from storage.models import Actor, ContentObject, IdempotencyKey, PollVote, Visibility
from storage.types import utcnow

IDEMPOTENCY_WINDOW = timedelta(hours=1)
_URL_RE = re.compile(r"https?://\S+", re.IGNORECASE)


class ComposeError(ValueError):
    """A draft the node refuses; the message is safe to show (a 422)."""


class ParentNotFoundError(LookupError):
    """The post being replied to does not exist for this author (a 404)."""


@dataclass(frozen=True)
class ComposeLimits:
    max_characters: int
    max_media: int
    characters_per_url: int
    poll: PollLimits
    media: MediaLimits


@dataclass(frozen=True)
class PollDraft:
    options: list[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


@dataclass(frozen=True)
class Draft:
    text: str
    # None: the author's default (a student's is local, everyone else's public).
    visibility: Visibility | None = None
    spoiler_text: str | None = None
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None
    media_ids: list[int] = field(default_factory=list)
    poll: PollDraft | None = None
    idempotency_key: str | None = None
    app_id: int | None = None


@dataclass(frozen=True)
class Edit:
    """Only what the request names changes (``None``: keep)."""

    text: str
    spoiler_text: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[int] | None = None
    poll: PollDraft | None = None


def count_characters(text: str, spoiler_text: str | None, per_url: int) -> int:
    """Mastodon's count: every link weighs ``per_url``, the content warning counts too."""
    weighed = _URL_RE.sub("x" * per_url, text)
    return len(weighed) + len(spoiler_text or "")


def _check_length(text: str, spoiler: str | None, limits: ComposeLimits) -> None:
    if count_characters(text, spoiler, limits.characters_per_url) > limits.max_characters:
        raise ComposeError(f"Text character limit of {limits.max_characters} exceeded")


async def _remembered(session: AsyncSession, actor: Actor, key: str) -> ContentObject | None:
    row = (
        await session.exec(
            select(IdempotencyKey).where(
                IdempotencyKey.actor_id == actor.id, IdempotencyKey.key == key
            )
        )
    ).first()
    if row is None:
        return None
    if row.created_at < utcnow() - IDEMPOTENCY_WINDOW:
        await session.delete(row)
        await session.flush()
        return None
    obj = await session.get(ContentObject, row.object_id)
    return obj if obj is not None and obj.deleted_at is None else None


async def _parent_ap_id(session: AsyncSession, actor: Actor, parent_id: int) -> str:
    parent = await session.get(ContentObject, parent_id)
    author = await session.get(Actor, parent.author_id) if parent is not None else None
    if (
        parent is None
        or author is None
        or parent.deleted_at is not None
        or not await may_read(session, parent, author, actor, guardian=False)
    ):
        raise ParentNotFoundError(str(parent_id))
    return parent.ap_id


def _poll_extra(poll: PollDraft, limits: ComposeLimits) -> dict[str, Any]:
    try:
        return question_extra(
            poll.options,
            expires_in=poll.expires_in,
            multiple=poll.multiple,
            hide_totals=poll.hide_totals,
            limits=limits.poll,
        )
    except PollError as exc:
        raise ComposeError(str(exc)) from None


async def post_status(
    session: AsyncSession, node: NodeContext, actor: Actor, draft: Draft, limits: ComposeLimits
) -> ContentObject:
    """Create ``actor``'s post from ``draft`` (or return the one its idempotency key made)."""
    key = (draft.idempotency_key or "").strip()[:255]
    if key:
        earlier = await _remembered(session, actor, key)
        if earlier is not None:
            return earlier
    _check_length(draft.text, draft.spoiler_text, limits)
    if draft.poll is not None and draft.media_ids:
        raise ComposeError("a post cannot have both media and a poll")
    if not draft.text.strip() and not draft.media_ids:
        raise ComposeError("Text can't be blank")
    extra = _poll_extra(draft.poll, limits) if draft.poll is not None else None
    uploads = await uploads_for_post(session, actor, draft.media_ids, maximum=limits.max_media)
    parent = (
        await _parent_ap_id(session, actor, draft.in_reply_to_id)
        if draft.in_reply_to_id is not None
        else None
    )
    obj = await create_post(
        session,
        node,
        actor,
        content_text_or_html=draft.text,
        visibility=draft.visibility or await default_visibility(session, actor),
        summary=draft.spoiler_text or None,
        sensitive=draft.sensitive,
        in_reply_to=parent,
        language=draft.language or None,
        object_type="Question" if extra is not None else "Note",
        extra=extra,
        attachments=[as2_attachment(node.config, row) for row in uploads],
    )
    await attach(session, uploads, obj)
    await save_source(session, obj, draft.text, app_id=draft.app_id)
    if key:
        assert actor.id is not None and obj.id is not None
        await session.exec(
            delete(IdempotencyKey).where(
                col(IdempotencyKey.actor_id) == actor.id, col(IdempotencyKey.key) == key
            )
        )
        session.add(IdempotencyKey(id=new_id(), actor_id=actor.id, key=key, object_id=obj.id))
        await session.flush()
    return obj


async def _edited_poll(
    session: AsyncSession, obj: ContentObject, poll: PollDraft, limits: ComposeLimits
) -> dict[str, Any]:
    """The Question's whole new ``extra``; votes survive only if the options stay the same."""
    extra = _poll_extra(poll, limits)
    old, old_multiple = options_of(obj)
    new_key = "anyOf" if poll.multiple else "oneOf"
    names = [o["name"] for o in extra[new_key]]
    if old_multiple == poll.multiple and [o.get("name") for o in old] == names:
        extra[new_key] = [dict(o) for o in old]
        extra["votersCount"] = obj.extra.get("votersCount", 0)
    else:
        await session.exec(delete(PollVote).where(col(PollVote.object_id) == obj.id))
    kept = {k: v for k, v in obj.extra.items() if k not in {"oneOf", "anyOf", "hideTotals"}}
    return {**kept, **extra}


async def edit_status(
    session: AsyncSession,
    node: NodeContext,
    actor: Actor,
    obj: ContentObject,
    edit: Edit,
    limits: ComposeLimits,
) -> ContentObject:
    """Edit ``actor``'s post ``obj``, keeping the version it replaces in its history."""
    if obj.id is not None and await load_view(session, obj.id) is not None:
        raise ComposeError("a material is edited through /api/v1/staffroom/materials")
    if obj.id is not None and await load_event(session, obj.id) is not None:
        raise ComposeError("an event is edited through /api/v1/staffroom/events")
    spoiler = edit.spoiler_text if edit.spoiler_text is not None else obj.summary
    _check_length(edit.text, spoiler, limits)
    uploads = (
        await uploads_for_post(session, actor, edit.media_ids, maximum=limits.max_media, post=obj)
        if edit.media_ids is not None
        else None
    )
    media = uploads if uploads is not None else obj.attachments
    if edit.poll is not None and media:
        raise ComposeError("a post cannot have both media and a poll")
    if not edit.text.strip() and not media:
        raise ComposeError("Text can't be blank")
    extra = await _edited_poll(session, obj, edit.poll, limits) if edit.poll else None
    await record_version(session, obj)
    if extra is not None:
        obj.type = "Question"
    await update_post(
        session,
        node,
        actor,
        obj,
        content_text_or_html=edit.text,
        summary=edit.spoiler_text,
        sensitive=edit.sensitive,
        language=edit.language or None,
        attachments=[as2_attachment(node.config, r) for r in uploads]
        if uploads is not None
        else None,
        extra=extra,
    )
    if uploads is not None:
        await attach(session, uploads, obj)
    await save_source(session, obj, edit.text)
    return obj


async def delete_status(
    session: AsyncSession,
    node: NodeContext,
    actor: Actor,
    obj: ContentObject,
    *,
    delete_media: bool = False,
) -> None:
    """Delete ``actor``'s post; its uploads stay for a redraft unless ``delete_media``.
    A material goes whole (its rows, search entry and files)."""
    view = await load_view(session, obj.id) if obj.id is not None else None
    if view is not None:
        await delete_material(session, node, actor, view)
        return
    event = await load_event(session, obj.id) if obj.id is not None else None
    if event is not None:
        await delete_event(session, node, actor, event)  # participants are told too
        return
    await delete_post(session, node, actor, obj)
    await release_uploads(session, node.config, obj, delete_files=delete_media)
