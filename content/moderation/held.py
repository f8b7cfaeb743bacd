"""Messages from other nodes to a student, held for a moderator instead of delivered.

A remote account cannot reach a child: a post that addresses or mentions a
local student is not stored; a report of category ``held`` keeps what was
sent (for the moderator's eyes only) in the moderation queue. A moderator
who finds it harmless releases it (:func:`release`, from the report's page
or ``POST /api/v1/admin/reports/:id/release``): the post is stored as the
inbox would have stored it, the student is notified, the report resolved
and the release written in the audit log. It is written
in a session of its own and committed before the inbox handler refuses the
activity, so the refusal (which keeps nothing of the activity) cannot take
the report with it; inside an inbox batch it defers the item to be handled
alone, since the batch's transaction holds SQLite's write lock.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.as2 import InvalidObjectError, object_from_as2
from content.moderation import audit, reports
from content.notifications import notify_mentions
from content.objects import store_object
from federation.offline import NetworkDeferred, is_offline
from storage.models import Actor, ContentObject, Report
from storage.types import utcnow

HELD = "held"


class ReleaseError(ValueError):
    """A held message that cannot be released; the message is safe to show."""


async def hold(
    node: NodeContext, sender: Actor, student: Actor, object_ap_id: str, body: dict[str, Any]
) -> None:
    if is_offline():
        # Inside an inbox batch, whose transaction holds SQLite's one write lock: a
        # session of our own would wait for it and fail. The item is handled alone.
        raise NetworkDeferred("a held message is kept outside the batch")
    async with node.sessions() as session:
        session.add(
            Report(
                reporter_id=sender.id,
                target_id=student.id,
                object_ap_ids=[object_ap_id],
                comment="a message from another node to a student, held for a moderator",
                category=HELD,
                extra={"held_activity": body, "origin": sender.domain},
            )
        )
        await session.commit()


async def release(
    session: AsyncSession, node: NodeContext, moderator: Actor, report: Report
) -> ContentObject:
    """Deliver a held message to the student after all (once; the caller commits)."""
    extra = dict(report.extra or {})
    if report.category != HELD or not isinstance(extra.get("held_activity"), dict):
        raise ReleaseError("this report holds no message")
    if extra.get("released_at"):
        raise ReleaseError("the message has already been released")
    sender = await session.get(Actor, report.reporter_id) if report.reporter_id else None
    doc = extra["held_activity"].get("object")
    if sender is None or sender.gone or not isinstance(doc, dict):
        raise ReleaseError("the sender or the message is no longer stored here")
    try:
        fields = object_from_as2(doc)
    except InvalidObjectError as exc:
        raise ReleaseError(f"the message cannot be read: {exc.reason}") from None
    obj = await store_object(session, node, fields, sender)
    if obj is None:
        raise ReleaseError("the message was deleted by its sender")
    await notify_mentions(session, obj, node.config.is_local)
    extra["released_at"] = utcnow().isoformat()
    extra["released_by"] = moderator.id
    report.extra = extra
    session.add(report)
    await audit.record(
        session,
        "release_held",
        moderator=moderator,
        target=await session.get(Actor, report.target_id) if report.target_id else None,
        object_ap_id=obj.ap_id,
        report_id=report.id,
    )
    if report.resolved_at is None:
        await reports.resolve(session, report, moderator, reason="released to the student")
    return obj
