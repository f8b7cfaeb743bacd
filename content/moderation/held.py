"""Messages from other nodes to a student, held for a moderator instead of delivered.

A remote account cannot reach a child: a post that addresses or mentions a
local student is not stored; a report of category ``held`` keeps what was
sent (for the moderator's eyes only) in the moderation queue. It is written
in a session of its own and committed before the inbox handler refuses the
activity, so the refusal (which keeps nothing of the activity) cannot take
the report with it.
"""

from __future__ import annotations

from typing import Any

from actors.context import NodeContext
from storage.models import Actor, Report

HELD = "held"


async def hold(
    node: NodeContext, sender: Actor, student: Actor, object_ap_id: str, body: dict[str, Any]
) -> None:
    async with node.sessions() as session:
        session.add(
            Report(
                reporter_id=sender.id,
                target_id=student.id,
                object_ap_ids=[object_ap_id],
                comment="a message from another node to a student, held for a moderator",
                category=HELD,
                extra={"held_activity": body, "origin": sender.domain},
            )
        )
        await session.commit()
