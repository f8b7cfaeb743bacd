"""Domain blocks and the allowlist, and what each does to what the node already holds.

Severities are Mastodon's: ``noop`` (only the media/report switches),
``silence`` (limit: the domain's posts leave public timelines), ``suspend``
(no federation at all: the inbox refuses it, no fetch or delivery reaches it,
its queued deliveries are dropped, its accounts' posts are tombstoned and
every follow with it is cut). Allowlist mode federates only with the listed
domains; turning it on drops every queued delivery to an unlisted one.

The hot paths read the policy through ``actors.federation_gate`` and
``storage.repos.domain_rules``. Every change here stamps the ``rules``
beacon when its session commits (:mod:`storage.wakeups`), so each process of
the node, the CLI's change included, reloads the rules before its next
decision; callers in a running node also call ``node.gate.invalidate()``.
"""

from __future__ import annotations

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, delete, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from actors import node_settings
from content.moderation import audit
from content.moderation.state import state_of
from storage.models import (
    Actor,
    ActorModeration,
    ContentObject,
    Delivery,
    DeliveryState,
    DomainPolicy,
    DomainSeverity,
    Follow,
)
from storage.repos.domain_rules import ALLOWLIST_MODE, load_rules, normalize_domain
from storage.types import utcnow
from storage.wakeups import RULES, mark

SEVERITIES = tuple(s.value for s in DomainSeverity)


class DomainPolicyError(ValueError):
    """A domain or severity the policy cannot take; the message is safe to show."""


def check_domain(value: str) -> str:
    domain = normalize_domain(value)
    if not domain or len(domain) > 255 or "/" in domain or " " in domain or "@" in domain:
        raise DomainPolicyError(f"not a domain: {value[:100]!r}")
    return domain


async def policy_of(session: AsyncSession, domain: str) -> DomainPolicy | None:
    return (await session.exec(select(DomainPolicy).where(DomainPolicy.domain == domain))).first()


async def policies(session: AsyncSession) -> list[DomainPolicy]:
    rows = await session.exec(select(DomainPolicy).order_by(col(DomainPolicy.domain)))
    return list(rows.all())


def _host_filter(domain: str) -> ColumnElement[bool]:
    """Deliveries to ``domain`` and its subdomains (hosts may carry a port)."""
    return or_(
        col(Delivery.host) == domain,
        col(Delivery.host).like(f"%.{domain}"),
        col(Delivery.host).like(f"{domain}:%"),
        col(Delivery.host).like(f"%.{domain}:%"),
    )


def _actor_domain_filter(domain: str) -> ColumnElement[bool]:
    return or_(col(Actor.domain) == domain, col(Actor.domain).like(f"%.{domain}"))


async def drop_queued(session: AsyncSession, domain: str) -> int:
    """Queued deliveries to ``domain`` are dropped (``dead``), never sent."""
    result = await session.exec(
        update(Delivery)
        .where(_host_filter(domain), col(Delivery.state) == DeliveryState.PENDING)
        .values(state=DeliveryState.DEAD, last_error="dropped: the domain is blocked")
    )
    return int(result.rowcount or 0)


async def _suspend_existing(session: AsyncSession, domain: str) -> None:
    ids = select(Actor.id).where(_actor_domain_filter(domain), col(Actor.local).is_(False))
    sub = ids.scalar_subquery()
    now = utcnow()
    await session.exec(
        update(ContentObject)
        .where(col(ContentObject.author_id).in_(sub), col(ContentObject.deleted_at).is_(None))
        .values(deleted_at=now)
    )
    await session.exec(
        delete(Follow).where(
            or_(col(Follow.follower_id).in_(sub), col(Follow.followee_id).in_(sub))
        )
    )
    await drop_queued(session, domain)
    # Each of its accounts is suspended here too: hidden from search and the
    # API, its activities refused (lifted with the block).
    for actor_id in (await session.exec(ids)).all():
        assert actor_id is not None
        state = await state_of(session, actor_id)
        if state.suspended_at is None:
            state.suspended_at = now
            state.updated_at = now
            session.add(state)


async def _lift_domain_suspensions(session: AsyncSession, domain: str) -> None:
    ids = select(Actor.id).where(_actor_domain_filter(domain), col(Actor.local).is_(False))
    await session.exec(
        update(ActorModeration)
        .where(col(ActorModeration.actor_id).in_(ids.scalar_subquery()))
        .values(suspended_at=None, updated_at=utcnow())
    )


async def block(
    session: AsyncSession,
    domain: str,
    *,
    severity: str = DomainSeverity.SUSPEND,
    reject_media: bool = False,
    reject_reports: bool = False,
    obfuscate: bool = False,
    public_comment: str = "",
    private_comment: str = "",
    moderator: Actor | None = None,
) -> DomainPolicy:
    """Create or change the block of ``domain``; a suspension applies to what is stored."""
    domain = check_domain(domain)
    if severity not in SEVERITIES:
        raise DomainPolicyError(f"severity must be one of {', '.join(SEVERITIES)}")
    row = await policy_of(session, domain) or DomainPolicy(domain=domain)
    mark(session, RULES)
    row.severity = severity
    row.reject_media = reject_media
    row.reject_reports = reject_reports
    row.obfuscate = obfuscate
    row.public_comment = public_comment[:1000]
    row.private_comment = private_comment[:1000]
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    if severity == DomainSeverity.SUSPEND:
        await _suspend_existing(session, domain)
    await audit.record(
        session,
        "domain_block",
        moderator=moderator,
        domain=domain,
        reason=private_comment,
        extra={"severity": severity, "reject_media": reject_media},
    )
    return row


async def unblock(session: AsyncSession, domain: str, *, moderator: Actor | None = None) -> bool:
    row = await policy_of(session, check_domain(domain))
    if row is None or (row.severity == DomainSeverity.NOOP and not row.reject_media):
        return False
    mark(session, RULES)
    if row.severity == DomainSeverity.SUSPEND:
        await _lift_domain_suspensions(session, row.domain)
    if row.allowed:
        row.severity, row.reject_media, row.reject_reports = DomainSeverity.NOOP, False, False
        session.add(row)
    else:
        await session.delete(row)
    await audit.record(session, "domain_unblock", moderator=moderator, domain=row.domain)
    await session.flush()
    return True


async def allow(
    session: AsyncSession, domain: str, *, moderator: Actor | None = None
) -> DomainPolicy:
    domain = check_domain(domain)
    row = await policy_of(session, domain) or DomainPolicy(domain=domain)
    mark(session, RULES)
    row.allowed = True
    row.updated_at = utcnow()
    session.add(row)
    await audit.record(session, "domain_allow", moderator=moderator, domain=domain)
    await session.flush()
    return row


async def disallow(session: AsyncSession, domain: str, *, moderator: Actor | None = None) -> bool:
    row = await policy_of(session, check_domain(domain))
    if row is None or not row.allowed:
        return False
    mark(session, RULES)
    if row.severity == DomainSeverity.NOOP and not row.reject_media and not row.reject_reports:
        await session.delete(row)
    else:
        row.allowed = False
        session.add(row)
    await audit.record(session, "domain_disallow", moderator=moderator, domain=row.domain)
    await session.flush()
    if await node_settings.read(session, ALLOWLIST_MODE):
        await drop_queued(session, row.domain)
    return True


async def set_allowlist_mode(
    session: AsyncSession, enabled: bool, *, moderator: Actor | None = None
) -> int:
    """Switch allowlist mode; turning it on drops queued deliveries to unlisted domains."""
    mark(session, RULES)
    await node_settings.write(session, ALLOWLIST_MODE, enabled)
    await session.flush()
    await audit.record(session, "allowlist_mode", moderator=moderator, extra={"enabled": enabled})
    if not enabled:
        return 0
    rules = await load_rules(session)
    hosts = (
        await session.exec(
            select(Delivery.host).where(Delivery.state == DeliveryState.PENDING).distinct()
        )
    ).all()
    refused = [h for h in hosts if rules.refusal(h) is not None]
    if not refused:
        return 0
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.host).in_(refused), col(Delivery.state) == DeliveryState.PENDING)
        .values(state=DeliveryState.DEAD, last_error="dropped: allowlist mode")
    )
    return int(result.rowcount or 0)
