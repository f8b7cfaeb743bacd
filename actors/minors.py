"""The rules that protect a student (a minor), in one place.

Who can reach a child, and who sees what a child posts:

* a student is not discoverable nor indexable, and every follow request
  needs their approval (:func:`apply_student_defaults`, kept by
  :func:`refuse_student_profile_change`);
* a student's posts default to ``local`` (stored and shown on this node,
  never delivered nor served elsewhere: ``storage.repos.locality``); the
  admin may let followers-only posts federate (``students.federation``);
  public and unlisted are refused;
* direct messages to or from a student only with the school's staff and the
  student's linked parents (:func:`check_direct`); a remote direct message
  is held for a moderator (``inbox.handlers.create``);
* a post of ours mentioning or replying to a student, whatever its
  visibility, only by those same people (:func:`check_mentions`): a local
  stranger's is refused with a clear error, and the child is not notified.

Teachers and staff keep an adult's defaults.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.guardians import is_guardian_of
from actors.roles import SCHOOL_ROLES
from federation.errors import FederationError
from storage.models import Account, Actor, Role, Visibility
from storage.repos.locality import student_federation


class MinorProtectionError(FederationError):
    """Refused to protect a student; ``reason`` is safe to show."""

    status = 422


def apply_student_defaults(actor: Actor) -> None:
    actor.discoverable = False
    actor.manually_approves_followers = True


async def roles_of(session: AsyncSession, actor_ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(actor_ids))
    if not ids:
        return {}
    rows = await session.exec(
        select(Account.actor_id, Account.role).where(col(Account.actor_id).in_(ids))
    )
    return {actor_id: role for actor_id, role in rows.all()}


async def role_of(session: AsyncSession, actor_id: int | None) -> str | None:
    if actor_id is None:
        return None
    return (await roles_of(session, [actor_id])).get(actor_id)


async def student_visibilities(session: AsyncSession) -> frozenset[Visibility]:
    allowed = {Visibility.LOCAL, Visibility.DIRECT}
    if await student_federation(session) == "followers":
        allowed.add(Visibility.FOLLOWERS)
    return frozenset(allowed)


async def default_visibility(session: AsyncSession, actor: Actor) -> Visibility:
    if await role_of(session, actor.id) == Role.STUDENT:
        return Visibility.LOCAL
    return Visibility.PUBLIC


async def check_visibility(session: AsyncSession, author: Actor, visibility: Visibility) -> None:
    """A student may post only within the limits the school set; others anything."""
    role = await role_of(session, author.id)
    if role != Role.STUDENT:
        return
    allowed = await student_visibilities(session)
    if visibility not in allowed:
        names = ", ".join(sorted(v.value for v in allowed))
        raise MinorProtectionError(
            f"a student's posts stay within the school: visibility must be one of {names}"
        )


async def _may_talk(
    session: AsyncSession, student: Actor, other: Actor, other_role: str | None
) -> bool:
    if not other.local:
        return False
    if other_role in SCHOOL_ROLES:
        return True
    assert student.id is not None and other.id is not None
    return other_role == Role.PARENT and await is_guardian_of(session, other.id, student.id)


async def check_direct(session: AsyncSession, sender: Actor, recipients: Iterable[Actor]) -> None:
    """Refuse a direct message between a student and anyone but staff and their parents."""
    people = [r for r in recipients if r.id != sender.id]
    roles = await roles_of(session, [a.id for a in [sender, *people] if a.id is not None])
    sender_role = roles.get(sender.id or 0)
    for other in people:
        other_role = roles.get(other.id or 0)
        if sender_role == Role.STUDENT and not await _may_talk(session, sender, other, other_role):
            raise MinorProtectionError(
                "a student can send direct messages only to the school's staff "
                "and to their linked parents"
            )
        if other_role == Role.STUDENT and not await _may_talk(session, other, sender, sender_role):
            raise MinorProtectionError(
                f"{other.username} is a student: only the school's staff and their "
                "linked parents can send them direct messages"
            )


async def check_mentions(session: AsyncSession, sender: Actor, people: Iterable[Actor]) -> None:
    """Refuse a post of ours that mentions or replies to a student unless its author
    may reach them: the student themselves, the school's staff, their linked parents.

    A "local stranger" (another student, a parent of another child) is refused
    with a clear error, whatever the visibility, so nothing lands in the
    child's notifications and the writer knows why; the same people who may
    write to a child directly may mention them (:func:`check_direct`).
    """
    others = [p for p in people if p.id != sender.id and p.local]
    if not others:
        return
    roles = await roles_of(session, [a.id for a in [sender, *others] if a.id is not None])
    sender_role = roles.get(sender.id or 0)
    for other in others:
        if roles.get(other.id or 0) != Role.STUDENT:
            continue
        if not await _may_talk(session, other, sender, sender_role):
            raise MinorProtectionError(
                f"{other.username} is a student: only the school's staff and their "
                "linked parents can mention them or reply to them"
            )


PROTECTED_PROFILE_FIELDS = ("discoverable", "indexable", "locked")


def refuse_student_profile_change(role: str | None, changed: Iterable[str]) -> None:
    """A student cannot lift their own protections (discoverable, indexable, locked)."""
    if role != Role.STUDENT:
        return
    touched = [name for name in changed if name in PROTECTED_PROFILE_FIELDS]
    if touched:
        raise MinorProtectionError(
            f"a student's {', '.join(touched)} is set by the school and cannot be changed"
        )


async def hidden_from_other_nodes(session: AsyncSession, actor: Actor) -> bool:
    """A student's WebFinger and actor document are not served while nothing of
    them may leave the node (``students.federation`` is "none")."""
    if not actor.local or await role_of(session, actor.id) != Role.STUDENT:
        return False
    return await student_federation(session) == "none"


async def is_student(session: AsyncSession, actor: Actor) -> bool:
    return actor.local and await role_of(session, actor.id) == Role.STUDENT


async def addressed_students(session: AsyncSession, ap_ids: Iterable[str]) -> list[Actor]:
    """The local students among ``ap_ids`` (an object's to, cc and mentions)."""
    ids = list(dict.fromkeys(ap_ids))
    if not ids:
        return []
    rows = await session.exec(
        select(Actor)
        .join(Account, Account.actor_id == Actor.id)  # type: ignore[arg-type]
        .where(col(Actor.ap_id).in_(ids), col(Actor.local), Account.role == Role.STUDENT)
    )
    return list(rows.all())
