"""Invite links that carry a role: how students and parents join (never open registration).

Only the school (an admin, a moderator or a teacher) issues one; a parent
invite may name the student the new parent account is linked to. The code
is shown once and stored as a SHA-256 hash; redeeming it creates the account
with the invite's role, whatever the person asks for.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from actors.guardians import link
from actors.local import create_person
from actors.roles import SCHOOL_ROLES, parse_role
from storage.models import Account, Actor, Invite, Role
from storage.types import utcnow

MAX_USES = 500


class InviteError(ValueError):
    """An invite that cannot be made or used; the message is safe to show."""


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def issue(
    session: AsyncSession,
    by: Account,
    *,
    role: str,
    student_id: int | None = None,
    max_uses: int = 1,
    valid_days: int | None = 14,
) -> tuple[Invite, str]:
    """A new invite and its code (in the clear, this once)."""
    if by.role not in SCHOOL_ROLES:
        raise InviteError("only the school's staff issue invites")
    parsed = parse_role(role)
    if parsed == Role.ADMIN or (parsed == Role.MODERATOR and by.role != Role.ADMIN):
        raise InviteError("an invite cannot carry a role above its issuer's")
    if not 1 <= max_uses <= MAX_USES:
        raise InviteError(f"max_uses must be between 1 and {MAX_USES}")
    if student_id is not None:
        if parsed != Role.PARENT:
            raise InviteError("only a parent invite names a student")
        student = (
            await session.exec(select(Account).where(Account.actor_id == student_id))
        ).first()
        if student is None or student.role != Role.STUDENT:
            raise InviteError("the invite must name a student of this school")
    code = secrets.token_urlsafe(24)
    invite = Invite(
        code_hash=_hash(code),
        role=parsed,
        created_by_id=by.actor_id,
        student_id=student_id,
        max_uses=max_uses,
        expires_at=utcnow() + timedelta(days=valid_days) if valid_days else None,
    )
    session.add(invite)
    await session.flush()
    return invite, code


async def find(session: AsyncSession, code: str) -> Invite | None:
    invite = (await session.exec(select(Invite).where(Invite.code_hash == _hash(code)))).first()
    if invite is None or invite.revoked or invite.uses >= invite.max_uses:
        return None
    if invite.expires_at is not None and invite.expires_at <= utcnow():
        return None
    return invite


async def redeem(
    session: AsyncSession,
    node: NodeConfig,
    code: str,
    *,
    username: str,
    password: str,
    display_name: str = "",
    email: str | None = None,
) -> tuple[Account, Actor]:
    invite = await find(session, code)
    if invite is None:
        raise InviteError("this invite is not valid (unknown, used up, expired or revoked)")
    if len(password) < 8:
        raise InviteError("the password must have at least 8 characters")
    account, actor = await create_person(
        session,
        node,
        username,
        role=Role(invite.role),
        password=password,
        display_name=display_name,
        email=email,
    )
    invite.uses += 1
    session.add(invite)
    if invite.student_id is not None:
        assert actor.id is not None
        await link(session, parent_id=actor.id, student_id=invite.student_id, by=None)
    await session.flush()
    return account, actor


async def revoke(session: AsyncSession, invite: Invite) -> None:
    invite.revoked = True
    session.add(invite)
    await session.flush()


async def listed(session: AsyncSession, limit: int = 100) -> list[Invite]:
    """The newest invites, used up, expired and revoked ones too (the admin's page)."""
    rows = await session.exec(select(Invite).order_by(col(Invite.id).desc()).limit(limit))
    return list(rows.all())


def usable(invite: Invite) -> bool:
    expired = invite.expires_at is not None and invite.expires_at <= utcnow()
    return not (invite.revoked or expired or invite.uses >= invite.max_uses)


async def by_id(session: AsyncSession, invite_id: int) -> Invite | None:
    return await session.get(Invite, invite_id)
