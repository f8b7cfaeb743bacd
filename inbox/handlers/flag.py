"""Flag: a report from another server (or its moderator) about our actors or posts.

Stored as a :class:`~storage.models.Report` for our moderators when it names
at least one of our actors or of our objects; a report about other servers'
content is not ours to act on. Mastodon sends the reported account and posts
in ``object`` and the comment in ``content``; Lemmy puts its reason in
``summary``. The reporter is often the remote instance actor, to keep the
reporting person anonymous. A domain whose reports the admin rejects is
ignored; a host sending more than ``moderation.reports_per_host_per_hour``
reports an hour is refused (a flood).
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from content.moderation.reports import flood_limit, recent_from_origin
from content.sanitize import plain_text
from federation.vocab import ids_of, text_of
from inbox.handlers.common import Refused, sender
from storage.models import Actor, ContentObject, InboxItem, Report

MAX_OBJECTS = 50


async def handle(session: AsyncSession, node: NodeContext, item: InboxItem) -> None:
    named = ids_of(item.body.get("object"))[:MAX_OBJECTS]
    if not named:
        return
    existing = await session.exec(
        select(Report.id).where(Report.activity_ap_id == item.activity_id)
    )
    if existing.first() is not None:
        return
    actors = await session.exec(select(Actor).where(col(Actor.ap_id).in_(named), col(Actor.local)))
    target = actors.first()
    objects = list(
        (
            await session.exec(
                select(ContentObject).where(
                    col(ContentObject.ap_id).in_(named), col(ContentObject.local)
                )
            )
        ).all()
    )
    if target is None and not objects:
        return
    if target is None:
        target = await session.get(Actor, objects[0].author_id)
    reporter = await sender(session, node, item)
    if (await node.gate.rules()).rejects_reports(reporter.domain):
        return  # the admin chose to ignore this domain's reports
    if await recent_from_origin(session, reporter.domain) >= await flood_limit(session):
        raise Refused(f"too many reports from {reporter.domain} in the last hour")
    body = item.body
    comment = plain_text(text_of(body.get("content")) or text_of(body.get("summary")) or "")
    session.add(
        Report(
            reporter_id=reporter.id,
            target_id=target.id if target else None,
            object_ap_ids=[i for i in named if target is None or i != target.ap_id],
            comment=(comment or "")[:5000],
            activity_ap_id=item.activity_id,
            extra={"to": ids_of(body.get("to")), "origin": reporter.domain},
        )
    )
    await session.flush()
