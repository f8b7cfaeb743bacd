"""Reports: filed by our people, received as ``Flag``s, forwarded, worked through.

A local report names an account and (optionally) some of its posts; when the
account lives elsewhere it may be forwarded to its node as a ``Flag`` from
our instance actor, so the reporting person stays anonymous (Mastodon does
the same). The queue is every unresolved report, oldest first; a moderator
assigns one to themself, acts (``content.moderation.actions``) and resolves.

Floods: one reporter, or one reporting host for ``Flag``s, may file at most
``moderation.reports_per_host_per_hour`` reports an hour.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors import node_settings
from actors.context import NodeContext
from actors.local import ensure_instance_actor
from content.moderation import audit
from federation.constants import PUBLIC
from outbox.publish import publish
from storage.ids import new_id
from storage.models import Actor, ContentObject, Report
from storage.types import utcnow

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000
MAX_STATUSES = 50


class ReportError(ValueError):
    """A report the node refuses; ``status`` is the HTTP answer, the message safe to show."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


async def flood_limit(session: AsyncSession) -> int:
    return int(await node_settings.read(session, "moderation.reports_per_host_per_hour"))


async def recent_from_origin(session: AsyncSession, origin: str) -> int:
    """Reports received from ``origin`` (a host) in the last hour."""
    since = utcnow() - timedelta(hours=1)
    rows = await session.exec(
        select(Report.extra).where(col(Report.created_at) >= since, Report.category != "held")
    )
    return sum(1 for extra in rows.all() if (extra or {}).get("origin") == origin)


async def _recent_by(session: AsyncSession, reporter_id: int) -> int:
    since = utcnow() - timedelta(hours=1)
    count = await session.exec(
        select(func.count())
        .select_from(Report)
        .where(Report.reporter_id == reporter_id, col(Report.created_at) >= since)
    )
    return int(count.one())


async def file_report(
    session: AsyncSession,
    node: NodeContext,
    reporter: Actor,
    target: Actor,
    *,
    status_ids: list[int],
    comment: str = "",
    category: str = "other",
    forward: bool = False,
) -> Report:
    """A local person's report; forwarded (anonymised) when asked and the target is remote."""
    assert reporter.id is not None and target.id is not None
    if category not in CATEGORIES:
        raise ReportError(f"category must be one of {', '.join(CATEGORIES)}")
    if len(comment) > MAX_COMMENT:
        raise ReportError(f"the comment is longer than {MAX_COMMENT} characters")
    if target.id == reporter.id:
        raise ReportError("you cannot report yourself")
    if len(status_ids) > MAX_STATUSES:
        raise ReportError(f"at most {MAX_STATUSES} posts in one report")
    if await _recent_by(session, reporter.id) >= await flood_limit(session):
        raise ReportError("too many reports in the last hour; try again later", status=429)
    objects: list[ContentObject] = []
    if status_ids:
        rows = await session.exec(
            select(ContentObject).where(col(ContentObject.id).in_(status_ids))
        )
        objects = list(rows.all())
        if len(objects) != len(set(status_ids)) or any(o.author_id != target.id for o in objects):
            raise ReportError("every reported post must be one of the reported account's")
    report = Report(
        id=new_id(),
        reporter_id=reporter.id,
        target_id=target.id,
        object_ap_ids=[o.ap_id for o in objects],
        comment=comment,
        category=category,
        extra={"origin": node.config.domain},
    )
    session.add(report)
    await session.flush()
    if forward and not target.local:
        await forward_report(session, node, report, target)
    return report


async def forward_report(
    session: AsyncSession, node: NodeContext, report: Report, target: Actor
) -> None:
    """Send the report to the target's node as a Flag from our instance actor."""
    instance = await ensure_instance_actor(session, node.config)
    body: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{node.config.instance_actor_url}#reports/{report.id}",
        "type": "Flag",
        "actor": instance.ap_id,
        "content": report.comment,
        "object": [target.ap_id, *report.object_ap_ids],
        "to": [target.ap_id],
    }
    assert PUBLIC not in body["to"]
    await publish(session, instance, body)
    report.forwarded = True
    session.add(report)
    await session.flush()


async def queue(
    session: AsyncSession,
    *,
    resolved: bool = False,
    target_id: int | None = None,
    limit: int = 100,
) -> list[Report]:
    """Unresolved reports (or resolved ones), oldest first: the moderation queue."""
    query = select(Report).where(
        col(Report.resolved_at).is_not(None) if resolved else col(Report.resolved_at).is_(None)
    )
    if target_id is not None:
        query = query.where(Report.target_id == target_id)
    return list((await session.exec(query.order_by(col(Report.id)).limit(limit))).all())


async def assign(session: AsyncSession, report: Report, moderator: Actor | None) -> Report:
    report.assigned_id = moderator.id if moderator else None
    session.add(report)
    await audit.record(
        session,
        "report_assign" if moderator else "report_unassign",
        moderator=moderator,
        report_id=report.id,
    )
    return report


async def resolve(
    session: AsyncSession, report: Report, moderator: Actor, *, reason: str = ""
) -> Report:
    report.resolved_at = utcnow()
    report.resolved_by_id = moderator.id
    session.add(report)
    await audit.record(
        session, "report_resolve", moderator=moderator, report_id=report.id, reason=reason
    )
    return report


async def reopen(session: AsyncSession, report: Report, moderator: Actor) -> Report:
    report.resolved_at = None
    report.resolved_by_id = None
    session.add(report)
    await audit.record(session, "report_reopen", moderator=moderator, report_id=report.id)
    return report


async def report_posts(session: AsyncSession, report: Report) -> list[ContentObject]:
    """The stored posts a report names (those we hold), in the order it names them."""
    if not report.object_ap_ids:
        return []
    rows = await session.exec(
        select(ContentObject).where(col(ContentObject.ap_id).in_(report.object_ap_ids))
    )
    by_id = {obj.ap_id: obj for obj in rows.all()}
    return [by_id[ap_id] for ap_id in report.object_ap_ids if ap_id in by_id]
