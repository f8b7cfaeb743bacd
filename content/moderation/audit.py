"""The audit log: every moderator action, with who, what, why and when.

Rows are only ever added (:func:`record`); the admin API and the moderation
pages list them (:func:`entries`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Actor, ModerationAction


async def record(
    session: AsyncSession,
    action: str,
    *,
    moderator: Actor | None,
    reason: str = "",
    target: Actor | None = None,
    domain: str | None = None,
    object_ap_id: str | None = None,
    report_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> ModerationAction:
    row = ModerationAction(
        moderator_id=moderator.id if moderator else None,
        action=action,
        target_actor_id=target.id if target else None,
        target_domain=domain,
        object_ap_id=object_ap_id,
        report_id=report_id,
        reason=reason[:5000],
        extra=dict(extra or {}),
    )
    session.add(row)
    await session.flush()
    return row


async def entries(
    session: AsyncSession,
    *,
    target_id: int | None = None,
    report_id: int | None = None,
    limit: int = 100,
    max_id: int | None = None,
) -> list[ModerationAction]:
    query = select(ModerationAction)
    if target_id is not None:
        query = query.where(ModerationAction.target_actor_id == target_id)
    if report_id is not None:
        query = query.where(ModerationAction.report_id == report_id)
    if max_id is not None:
        query = query.where(col(ModerationAction.id) < max_id)
    query = query.order_by(col(ModerationAction.id).desc()).limit(limit)
    return list((await session.exec(query)).all())
