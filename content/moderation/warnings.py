"""A moderator's warning reaches the warned person as a notification (Mastodon's
``moderation_warning``), not only the audit log.

The notification shares its id with the warning's audit row
(``moderation_actions``), so the API can show the warning's text with it
(Mastodon's ``AccountWarning``) without a column of its own. Its sender is
the warned account itself: the moderator who wrote it stays anonymous, as
on Mastodon. A remote account is warned in the log only (its node is not
told, as Mastodon does not tell it).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Actor, ModerationAction, Notification, StreamEvent

MODERATION_WARNING = "moderation_warning"


async def notify_warning(
    session: AsyncSession, target: Actor, action: ModerationAction
) -> Notification | None:
    if not target.local or target.gone or target.id is None:
        return None
    assert action.id is not None
    row = Notification(
        id=action.id, recipient_id=target.id, type=MODERATION_WARNING, from_actor_id=target.id
    )
    session.add(row)
    await session.flush()
    session.add(
        StreamEvent(
            event="notification",
            recipient_id=target.id,
            notification_id=row.id,
            actor_id=target.id,
        )
    )
    await session.flush()
    return row
