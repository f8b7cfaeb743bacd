"""The ``Community`` entity of ``/api/v1/staffroom/communities``: an account and its settings.

A community is also an ordinary Mastodon ``Account`` with ``group: true``
(``account``); the entity adds what apps cannot read there: its policies,
descriptors, the viewer's role and membership, and its member count (left
out, ``null``, of a members-only community for non-members).
"""

from __future__ import annotations

from typing import Any

from storage.models import Actor, Community, FollowState, JoinPolicy


def community_entity(
    actor: Actor,
    settings: Community | None,
    account: dict[str, Any],
    *,
    role: str | None,
    membership: str | None,
    members_count: int | None,
) -> dict[str, Any]:
    local = settings is not None
    join = settings.join_policy if settings is not None else None
    if join is None:
        join = JoinPolicy.APPROVAL if actor.manually_approves_followers else JoinPolicy.OPEN
    return {
        "id": str(actor.id),
        "uri": actor.ap_id,
        "url": actor.url or actor.ap_id,
        "acct": account.get("acct"),
        "display_name": actor.display_name,
        "description": actor.summary,
        "rules": settings.rules if settings else "",
        "subjects": list(settings.subjects) if settings else [],
        "level": (settings.level or None) if settings else None,
        "kind": (settings.kind or None) if settings else None,
        "join_policy": join,
        "posting_policy": settings.posting_policy if settings else None,
        "visibility": settings.visibility if settings else None,
        "local": local,
        "members_count": members_count,
        "role": role,
        "membership": membership,
        "account": account,
    }


def membership_of(state: str | None, banned: bool) -> str | None:
    """``member``, ``requested``, ``banned`` or None, from the viewer's Follow row."""
    if banned:
        return "banned"
    if state == FollowState.ACCEPTED:
        return "member"
    if state == FollowState.PENDING:
        return "requested"
    return None
