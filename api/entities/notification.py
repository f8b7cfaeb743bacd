"""The Mastodon ``Notification`` entity, for one notification or a page of them.

``status`` is attached for the types that are about a post (favourite,
reblog, mention, status, poll, update) and absent for the others, as
Mastodon's serializer does; ``report`` is null (reports are not notified
here); a ``moderation_warning`` carries the warning (Mastodon's
``AccountWarning``: its text, ``action`` ``none``). ``group_key`` is
``ungrouped-<id>``: notifications are not grouped. Staffroom's own
``community_owner`` (a community passed to the viewer when its owner's
account was erased) has the community as its ``account`` and no status.

A notification whose post cannot be rendered any more (gone since the page
was read) is left out of a page rather than shown without its post.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.account import account_entities
from api.entities.status import status_entities
from api.entities.time import iso_ms
from content.moderation.warnings import MODERATION_WARNING
from storage.models import Actor, ContentObject, ModerationAction, Notification

#: Types whose notification carries the post it is about.
STATUS_TYPES = frozenset(
    {"favourite", "reblog", "mention", "status", "poll", "update", "event_reminder"}
)


async def notification_entities(
    session: AsyncSession, node: NodeContext, rows: Sequence[Notification], viewer: Actor
) -> list[dict[str, Any]]:
    """Entities for ``rows``, in order, in a fixed number of queries."""
    actor_ids = list({row.from_actor_id for row in rows})
    object_ids = list({row.object_id for row in rows if row.object_id is not None})
    actors = list((await session.exec(select(Actor).where(col(Actor.id).in_(actor_ids)))).all())
    accounts = dict(
        zip([a.id for a in actors], await account_entities(session, node, actors), strict=True)
    )
    objects = list(
        (
            await session.exec(select(ContentObject).where(col(ContentObject.id).in_(object_ids)))
        ).all()
    )
    live = [obj for obj in objects if obj.deleted_at is None]
    statuses = {
        int(entity["id"]): entity for entity in await status_entities(session, node, live, viewer)
    }
    warning_ids = [row.id for row in rows if row.type == MODERATION_WARNING]
    warnings = {
        w.id: w
        for w in (
            await session.exec(
                select(ModerationAction).where(col(ModerationAction.id).in_(warning_ids))
            )
        ).all()
    }
    out = []
    for row in rows:
        account = accounts.get(row.from_actor_id)
        if account is None:
            continue
        entity: dict[str, Any] = {
            "id": str(row.id),
            "type": row.type,
            "created_at": iso_ms(row.created_at),
            "group_key": f"ungrouped-{row.id}",
            "account": account,
            "report": None,
        }
        if row.type == MODERATION_WARNING:
            warning = warnings.get(row.id or 0)
            if warning is None:
                continue
            entity["moderation_warning"] = _warning_entity(warning, account)
        if row.type in STATUS_TYPES:
            status = statuses.get(row.object_id) if row.object_id is not None else None
            if status is None:
                continue
            entity["status"] = status
        out.append(entity)
    return out


def _warning_entity(action: ModerationAction, account: dict[str, Any]) -> dict[str, Any]:
    """Mastodon's ``AccountWarning``: what a moderator told the account."""
    return {
        "id": str(action.id),
        "action": "none",
        "text": action.reason,
        "status_ids": [],
        "target_account": account,
        "appeal": None,
        "created_at": iso_ms(action.created_at),
    }


async def notification_entity(
    session: AsyncSession, node: NodeContext, row: Notification, viewer: Actor
) -> dict[str, Any] | None:
    """The entity for one notification; None when its post or sender is gone."""
    found = await notification_entities(session, node, [row], viewer)
    return found[0] if found else None
