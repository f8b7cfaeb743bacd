"""Parents linked to their children by the school.

A link is made only by the school (an admin or a teacher of this node), only
between a local parent account and a local student account: a parent can
never link themself, nor be linked to a child of another school (a remote
actor is not a student of ours). What a link grants is reading, never
writing: :func:`is_guardian_of` feeds :func:`content.visibility.may_read`
and the read-only guardian API.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.roles import SCHOOL_ROLES
from storage.models import Account, Actor, GuardianLink, Role


class GuardianLinkError(ValueError):
    """A link the school may not make; the message is safe to show."""


async def _local_account(session: AsyncSession, actor_id: int) -> tuple[Account, Actor] | None:
    row = (
        await session.exec(
            select(Account, Actor)
            .join(Actor, Account.actor_id == Actor.id)  # type: ignore[arg-type]
            .where(Account.actor_id == actor_id, col(Actor.local))
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def link(
    session: AsyncSession, *, parent_id: int, student_id: int, by: Account | None
) -> GuardianLink:
    """Link a parent to a child; ``by`` None means the node's operator (the CLI)."""
    if by is not None and by.role not in SCHOOL_ROLES:
        raise GuardianLinkError("only the school (an admin or a teacher) links parents")
    parent = await _local_account(session, parent_id)
    student = await _local_account(session, student_id)
    if parent is None or student is None:
        raise GuardianLinkError("both accounts must be accounts of this school")
    if parent[0].role != Role.PARENT:
        raise GuardianLinkError(f"{parent[1].username} is not a parent account")
    if student[0].role != Role.STUDENT:
        raise GuardianLinkError(f"{student[1].username} is not a student account")
    existing = (
        await session.exec(
            select(GuardianLink).where(
                GuardianLink.parent_id == parent_id, GuardianLink.student_id == student_id
            )
        )
    ).first()
    if existing is not None:
        return existing
    row = GuardianLink(
        parent_id=parent_id, student_id=student_id, created_by_id=by.actor_id if by else None
    )
    session.add(row)
    await session.flush()
    return row


async def unlink(session: AsyncSession, *, parent_id: int, student_id: int) -> bool:
    row = (
        await session.exec(
            select(GuardianLink).where(
                GuardianLink.parent_id == parent_id, GuardianLink.student_id == student_id
            )
        )
    ).first()
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def children_of(session: AsyncSession, parent_id: int) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(GuardianLink, GuardianLink.student_id == Actor.id)  # type: ignore[arg-type]
        .where(GuardianLink.parent_id == parent_id)
        .order_by(col(Actor.username))
    )
    return list(rows.all())


async def parents_of(session: AsyncSession, student_id: int) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(GuardianLink, GuardianLink.parent_id == Actor.id)  # type: ignore[arg-type]
        .where(GuardianLink.student_id == student_id)
    )
    return list(rows.all())


async def is_guardian_of(session: AsyncSession, parent_id: int, student_id: int) -> bool:
    row = (
        await session.exec(
            select(GuardianLink.id).where(
                GuardianLink.parent_id == parent_id, GuardianLink.student_id == student_id
            )
        )
    ).first()
    return row is not None
