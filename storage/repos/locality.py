"""What must never leave the node: local-only posts and (by default) everything of a student.

``outbox.publish`` asks :func:`stays_local` before it queues a single remote
delivery, so no path that publishes (posting, liking, boosting, editing,
deleting, following) can carry a local-only post or a student's activity to
another node. The student switch is a run-time node setting; its name lives
here and its default in ``actors.node_settings.DEFAULTS``.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Account, ContentObject, NodeSetting, Role, Visibility

STUDENT_FEDERATION = "students.federation"
# "none": nothing of a student leaves; "followers": followers-only posts may.
STUDENT_FEDERATION_DEFAULT = "none"


async def student_federation(session: AsyncSession) -> str:
    row = await session.get(NodeSetting, STUDENT_FEDERATION)
    value = row.value if row is not None else STUDENT_FEDERATION_DEFAULT
    return value if value in ("none", "followers") else STUDENT_FEDERATION_DEFAULT


async def is_student(session: AsyncSession, actor_id: int) -> bool:
    role = (await session.exec(select(Account.role).where(Account.actor_id == actor_id))).first()
    return role == Role.STUDENT


async def stays_local(session: AsyncSession, actor_id: int, object_ap_id: str | None) -> bool:
    """True when an activity by ``actor_id`` about ``object_ap_id`` must reach no other node."""
    if object_ap_id:
        visibility = (
            await session.exec(
                select(ContentObject.visibility).where(ContentObject.ap_id == object_ap_id)
            )
        ).first()
        if visibility == Visibility.LOCAL:
            return True
    if await is_student(session, actor_id):
        return await student_federation(session) == "none"
    return False
