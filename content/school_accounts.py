"""The school's accounts as an admin manages them: a role changed, logged like every action.

Shared by ``POST /api/v1/admin/accounts/:id/role`` and the admin's page, so
both refuse the same things (one's own role: an admin cannot lock the node
out of its last admin by accident) and write the same audit entry.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.minors import apply_student_defaults
from content.moderation import audit
from storage.models import Account, Actor, Role


class RoleChangeError(ValueError):
    """A role change refused: ``missing`` (no local account) or ``self``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def change_role(session: AsyncSession, by: Actor, target: Actor, role: Role) -> Account:
    """Give ``target``'s account ``role`` (a student gets a student's protections)."""
    account = (await session.exec(select(Account).where(Account.actor_id == target.id))).first()
    if account is None:
        raise RoleChangeError("missing")
    if target.id == by.id:
        raise RoleChangeError("self")
    before = account.role
    account.role = role
    session.add(account)
    if role == Role.STUDENT:
        apply_student_defaults(target)
        session.add(target)
    await audit.record(
        session,
        "change_role",
        moderator=by,
        target=target,
        extra={"from": before, "to": role.value},
    )
    return account
