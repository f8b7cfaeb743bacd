"""Creating, finding and changing local communities; their owner and moderators.

A community is a local ``Group`` actor (:func:`actors.local.create_group`)
plus its :class:`storage.models.Community` row. Joining by approval or by
invitation is ``manuallyApprovesFollowers`` on the wire, so a Mastodon user
sees a locked account and waits, as they would for a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.config import NodeConfig
from actors.local import create_group, local_actor_by_name
from storage.models import (
    Actor,
    ActorType,
    Community,
    CommunityMember,
    CommunityRole,
    CommunityVisibility,
    JoinPolicy,
    PostingPolicy,
)

LEVELS = ("school", "municipal", "regional", "national", "international")
KINDS = (
    "subject_association",
    "multi_subject",
    "creative_group",
    "interest_club",
    "parents",
    "school_staff",
)
MAX_RULES = 10_000
MAX_SUBJECTS = 20


class CommunityError(ValueError):
    """A community action that is refused; the message is safe to show."""


@dataclass
class CommunityDraft:
    name: str
    display_name: str = ""
    description: str = ""
    rules: str = ""
    subjects: list[str] = field(default_factory=list)
    level: str = ""
    kind: str = ""
    join_policy: str = JoinPolicy.OPEN
    posting_policy: str = PostingPolicy.MEMBERS
    visibility: str = CommunityVisibility.PUBLIC


def _choice(value: str, allowed: tuple[str, ...] | type, what: str) -> str:
    choices = tuple(v.value for v in allowed) if isinstance(allowed, type) else allowed  # type: ignore[attr-defined]
    if value and value not in choices:
        raise CommunityError(f"unknown {what} {value[:40]!r}; choose one of: {', '.join(choices)}")
    return value


def check_settings(
    *,
    level: str = "",
    kind: str = "",
    join_policy: str = JoinPolicy.OPEN,
    posting_policy: str = PostingPolicy.MEMBERS,
    visibility: str = CommunityVisibility.PUBLIC,
    rules: str = "",
    subjects: list[str] | None = None,
) -> None:
    """Refuse values outside the vocabularies, with a message naming the choices."""
    _choice(level, LEVELS, "level")
    _choice(kind, KINDS, "kind")
    _choice(join_policy or "-", JoinPolicy, "join policy")
    _choice(posting_policy or "-", PostingPolicy, "posting policy")
    _choice(visibility or "-", CommunityVisibility, "visibility")
    if len(rules) > MAX_RULES:
        raise CommunityError(f"the rules are longer than {MAX_RULES} characters")
    if subjects is not None and (
        len(subjects) > MAX_SUBJECTS or any(len(s) > 64 or not s for s in subjects)
    ):
        raise CommunityError(f"at most {MAX_SUBJECTS} subjects of at most 64 characters")


async def create_community(
    session: AsyncSession, config: NodeConfig, draft: CommunityDraft, owner: Actor | None
) -> tuple[Actor, Community]:
    """A new local community; ``owner`` (a local person) becomes its owner."""
    check_settings(
        level=draft.level,
        kind=draft.kind,
        join_policy=draft.join_policy,
        posting_policy=draft.posting_policy,
        visibility=draft.visibility,
        rules=draft.rules,
        subjects=draft.subjects,
    )
    try:
        actor = await create_group(session, config, draft.name, display_name=draft.display_name)
    except ValueError as exc:
        raise CommunityError(str(exc)) from exc
    actor.summary = draft.description
    actor.manually_approves_followers = draft.join_policy != JoinPolicy.OPEN
    # A members-only community is not offered to search engines and directories of others.
    actor.discoverable = draft.visibility == CommunityVisibility.PUBLIC
    session.add(actor)
    assert actor.id is not None
    community = Community(
        actor_id=actor.id,
        rules=draft.rules,
        subjects=list(dict.fromkeys(draft.subjects)),
        level=draft.level,
        kind=draft.kind,
        join_policy=draft.join_policy,
        posting_policy=draft.posting_policy,
        visibility=draft.visibility,
    )
    session.add(community)
    if owner is not None:
        assert owner.id is not None
        session.add(
            CommunityMember(community_id=actor.id, actor_id=owner.id, role=CommunityRole.OWNER)
        )
    await session.flush()
    return actor, community


async def community_of(session: AsyncSession, actor: Actor | None) -> Community | None:
    """The community row of a local Group actor (None for anyone else)."""
    if actor is None or actor.id is None or not actor.local or actor.type != ActorType.GROUP:
        return None
    return await session.get(Community, actor.id)


async def community_by_name(session: AsyncSession, name: str) -> tuple[Actor, Community] | None:
    actor = await local_actor_by_name(session, name)
    community = await community_of(session, actor)
    return None if actor is None or community is None else (actor, community)


async def list_communities(
    session: AsyncSession,
    *,
    subject: str | None = None,
    level: str | None = None,
    kind: str | None = None,
    query: str | None = None,
    limit: int = 40,
) -> list[tuple[Actor, Community]]:
    """Local communities, filtered by subject, level and kind, searched by name."""
    stmt = select(Actor, Community).join(Community, col(Community.actor_id) == Actor.id)
    if level:
        stmt = stmt.where(Community.level == level)
    if kind:
        stmt = stmt.where(Community.kind == kind)
    if query:
        like = f"%{query.lower()[:64]}%"
        stmt = stmt.where(
            or_(
                func.lower(col(Actor.username)).like(like),
                func.lower(col(Actor.display_name)).like(like),
            )
        )
    rows = list((await session.exec(stmt.order_by(col(Actor.username)))).all())
    if subject:
        rows = [r for r in rows if subject in r[1].subjects]
    return [(a, c) for a, c in rows][:limit]


async def role_of(session: AsyncSession, community: Actor, actor: Actor | None) -> str | None:
    if actor is None or actor.id is None:
        return None
    return (
        await session.exec(
            select(CommunityMember.role).where(
                CommunityMember.community_id == community.id,
                CommunityMember.actor_id == actor.id,
            )
        )
    ).first()


async def is_moderator(session: AsyncSession, community: Actor, actor: Actor | None) -> bool:
    """The owner or a moderator."""
    return await role_of(session, community, actor) is not None


async def moderators(session: AsyncSession, community: Actor) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(CommunityMember, col(CommunityMember.actor_id) == Actor.id)
        .where(CommunityMember.community_id == community.id)
        .order_by(col(CommunityMember.id))
    )
    return list(rows.all())


async def owner_of(session: AsyncSession, community: Actor) -> Actor | None:
    """The community's owner (None for a remote community, or one nobody was left to own)."""
    rows = await session.exec(
        select(Actor)
        .join(CommunityMember, col(CommunityMember.actor_id) == Actor.id)
        .where(
            CommunityMember.community_id == community.id,
            CommunityMember.role == CommunityRole.OWNER,
        )
    )
    return rows.first()


async def add_moderator(session: AsyncSession, community: Actor, actor: Actor) -> bool:
    """Make ``actor`` a moderator; False when they already moderate (or own) it."""
    if await role_of(session, community, actor) is not None:
        return False
    assert community.id is not None and actor.id is not None
    session.add(CommunityMember(community_id=community.id, actor_id=actor.id))
    await session.flush()
    return True


async def remove_moderator(session: AsyncSession, community: Actor, actor: Actor) -> bool:
    """Take a moderator's role away; the owner stays owner. False if they had none."""
    row = (
        await session.exec(
            select(CommunityMember).where(
                CommunityMember.community_id == community.id,
                CommunityMember.actor_id == actor.id,
            )
        )
    ).first()
    if row is None:
        return False
    if row.role == CommunityRole.OWNER:
        raise CommunityError("the owner cannot be removed from the moderators")
    await session.delete(row)
    await session.flush()
    return True


async def update_community(
    session: AsyncSession,
    actor: Actor,
    community: Community,
    *,
    display_name: str | None = None,
    description: str | None = None,
    rules: str | None = None,
    subjects: list[str] | None = None,
    level: str | None = None,
    kind: str | None = None,
    join_policy: str | None = None,
    posting_policy: str | None = None,
) -> None:
    """Change what was given. Visibility is fixed at creation: members-only posts
    already delivered could not be made public, nor public ones private."""
    check_settings(
        level=level or "",
        kind=kind or "",
        join_policy=join_policy or community.join_policy,
        posting_policy=posting_policy or community.posting_policy,
        visibility=community.visibility,
        rules=rules or "",
        subjects=subjects,
    )
    if display_name is not None:
        actor.display_name = display_name[:255]
    if description is not None:
        actor.summary = description
    for name, value in (
        ("rules", rules),
        ("subjects", subjects),
        ("level", level),
        ("kind", kind),
        ("join_policy", join_policy),
        ("posting_policy", posting_policy),
    ):
        if value is not None:
            setattr(community, name, value)
    actor.manually_approves_followers = community.join_policy != JoinPolicy.OPEN
    session.add(actor)
    session.add(community)
    await session.flush()


async def count_local(session: AsyncSession) -> int:
    return int((await session.exec(select(func.count()).select_from(Community))).one())
