"""Notifications: what happened to a local actor (a follow, a like, a mention ...).

One row per (recipient, type, sender, object): the same event told twice (a
redelivered Like, a retried inbox item, a local action that reaches its
recipient through our own inbox) is still one notification. ``dismissed``
hides a row from the API without forgetting it, so a dismissed favourite is
not announced again when the same Like is redelivered.

Types are Mastodon's (``mention``, ``status``, ``reblog``, ``follow``,
``follow_request``, ``favourite``, ``poll``, ``update``, ``admin.sign_up``,
``admin.report``, ``moderation_warning``), because apps filter on exactly those
strings, and Staffroom's own ``event_reminder`` and ``community_owner``, which
apps that do not know them skip.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow

NOTIFICATION_TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
)


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("recipient_id", "type", "from_actor_id", "object_id"),
        Index("ix_notifications_recipient_id_id", "recipient_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    recipient_id: int = Field(sa_column=fk_column("actors.id", index=False))
    type: str = Field(max_length=32)
    from_actor_id: int = Field(sa_column=fk_column("actors.id"))
    # The post it is about (None for follows); a tombstone keeps the row but hides it.
    object_id: int | None = Field(default=None, sa_column=fk_column("objects.id", nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    dismissed: bool = False
