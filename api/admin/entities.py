"""Admin entities as Mastodon renders them (Admin::Account, Admin::Report, domain blocks)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from api.entities.account import account_entities, role_entity
from api.entities.status import status_entities
from api.entities.time import iso_ms, iso_ms_or_none
from content.moderation.state import states_of
from content.sanitize import sanitize_html
from storage.models import Account, Actor, ContentObject, DomainPolicy, Report


async def admin_accounts(
    session: AsyncSession, node: NodeContext, actors: Sequence[Actor]
) -> list[dict[str, Any]]:
    ids = [a.id for a in actors if a.id is not None]
    accounts = {
        a.actor_id: a
        for a in (await session.exec(select(Account).where(col(Account.actor_id).in_(ids)))).all()
    }
    states = await states_of(session, ids)
    public = await account_entities(session, node, actors)
    out: list[dict[str, Any]] = []
    for actor, entity in zip(actors, public, strict=True):
        account = accounts.get(actor.id or 0)
        state = states.get(actor.id or 0)
        out.append(
            {
                "id": str(actor.id),
                "username": actor.username,
                "domain": None if actor.local else actor.domain,
                "created_at": iso_ms(account.created_at if account else actor.published),
                "email": (account.email or "") if account else "",
                "ip": None,
                "ips": [],
                "locale": "",
                "invite_request": None,
                "role": role_entity(account.role) if account else role_entity(""),
                "confirmed": account is not None,
                "approved": account is not None,
                "disabled": bool(account and account.disabled),
                "silenced": bool(state and state.limited),
                "suspended": bool(state and state.suspended_at),
                "sensitized": bool(state and state.sensitized),
                "account": entity,
                "created_by_application_id": None,
                "invited_by_account_id": None,
                # Staffroom: the school's role name (student, parent, teacher...).
                "staffroom_role": account.role if account else None,
            }
        )
    return out


async def admin_account(session: AsyncSession, node: NodeContext, actor: Actor) -> dict[str, Any]:
    return (await admin_accounts(session, node, [actor]))[0]


async def _maybe(
    session: AsyncSession, node: NodeContext, actor_id: int | None
) -> dict[str, Any] | None:
    if actor_id is None:
        return None
    actor = await session.get(Actor, actor_id)
    return await admin_account(session, node, actor) if actor is not None else None


async def admin_report(
    session: AsyncSession, node: NodeContext, report: Report, viewer: Actor
) -> dict[str, Any]:
    objects = (
        list(
            (
                await session.exec(
                    select(ContentObject).where(col(ContentObject.ap_id).in_(report.object_ap_ids))
                )
            ).all()
        )
        if report.object_ap_ids
        else []
    )
    entity: dict[str, Any] = {
        "id": str(report.id),
        "action_taken": report.resolved_at is not None,
        "action_taken_at": iso_ms_or_none(report.resolved_at),
        "category": report.category if report.category != "held" else "other",
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso_ms(report.created_at),
        "updated_at": iso_ms(report.resolved_at or report.created_at),
        "account": await _maybe(session, node, report.reporter_id),
        "target_account": await _maybe(session, node, report.target_id),
        "assigned_account": await _maybe(session, node, report.assigned_id),
        "action_taken_by_account": await _maybe(session, node, report.resolved_by_id),
        "statuses": await status_entities(session, node, objects, viewer),
        "rules": [],
        # Staffroom: where it came from, and a held message's text (sanitized).
        "staffroom_origin": (report.extra or {}).get("origin"),
        "staffroom_held": report.category == "held",
    }
    held = (report.extra or {}).get("held_activity")
    if isinstance(held, dict) and isinstance(held.get("object"), dict):
        content = held["object"].get("content")
        entity["staffroom_held_content"] = sanitize_html(
            content if isinstance(content, str) else ""
        )
    return entity


def domain_block_entity(row: DomainPolicy) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "domain": row.domain,
        "digest": hashlib.sha256(row.domain.encode()).hexdigest(),
        "created_at": iso_ms(row.created_at),
        "severity": row.severity,
        "reject_media": row.reject_media,
        "reject_reports": row.reject_reports,
        "private_comment": row.private_comment or None,
        "public_comment": row.public_comment or None,
        "obfuscate": row.obfuscate,
    }


def domain_allow_entity(row: DomainPolicy) -> dict[str, Any]:
    return {"id": str(row.id), "domain": row.domain, "created_at": iso_ms(row.created_at)}


def public_domain_block(row: DomainPolicy) -> dict[str, Any]:
    """``/api/v1/instance/domain_blocks``: obfuscated domains show stars in the middle."""
    domain = row.domain
    if row.obfuscate and len(domain) > 4:
        keep = max(1, len(domain) // 4)
        domain = domain[:keep] + "*" * (len(domain) - 2 * keep) + domain[-keep:]
    return {
        "domain": domain,
        "digest": hashlib.sha256(row.domain.encode()).hexdigest(),
        "severity": row.severity,
        "comment": row.public_comment or None,
    }
