"""What we publish, and the durable delivery queue behind "nothing lost".

``activities`` holds every activity a local actor sent (served at its id, paged
in the outbox). ``deliveries`` has one row per (activity, inbox), written in
the same transaction as the action that causes it.

Delivery lifecycle: ``pending`` → ``sent`` (2xx) | ``failed`` (a 4xx that
retrying cannot fix) | ``dead`` (retries exhausted after about three days).
A worker leases a row with ``locked_until``; an expired lease returns it.
``host_health`` is the per-host circuit breaker: after repeated failures the
host is "open" until ``open_until`` and its rows wait instead of being tried.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class Activity(SQLModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_actor_public", "actor_id", "public", "id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    type: str = Field(max_length=64)
    object_ap_id: str | None = Field(default=None, max_length=2048, index=True)
    public: bool = False
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published: datetime = Field(default_factory=utcnow, sa_column=time_column())


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("activity_id", "inbox_url"),
        Index("ix_deliveries_claim", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    activity_id: int = Field(sa_column=fk_column("activities.id"))
    inbox_url: str = Field(max_length=2048)
    host: str = Field(max_length=255, index=True)
    state: str = Field(default=DeliveryState.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    locked_until: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class HostHealth(SQLModel, table=True):
    __tablename__ = "host_health"

    host: str = Field(primary_key=True, max_length=255)
    consecutive_failures: int = 0
    open_until: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    last_failure_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    last_success_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class MailboxEntry(SQLModel, table=True):
    """An activity a local actor received (their ActivityPub inbox, paged for C2S)."""

    __tablename__ = "mailbox"
    __table_args__ = (UniqueConstraint("owner_id", "inbox_item_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    owner_id: int = Field(sa_column=fk_column("actors.id"))
    inbox_item_id: int = Field(sa_column=fk_column("inbox_items.id"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
