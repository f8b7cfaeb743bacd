"""Received activities: the durable record behind "202 means stored".

Lifecycle: ``received`` → ``processed`` | ``rejected`` (handler refused it) |
``failed`` (handler crashed ``MAX_ATTEMPTS`` times). A worker leases a row by
setting ``locked_until``; a crashed worker's lease simply expires and the row
comes back. The activity id is unique, which makes the inbox idempotent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class InboxState(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    REJECTED = "rejected"
    FAILED = "failed"


MAX_ATTEMPTS = 8
LEASE_SECONDS = 60


class InboxItem(SQLModel, table=True):
    __tablename__ = "inbox_items"
    __table_args__ = (Index("ix_inbox_items_claim", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, sa_column=id_column())
    activity_id: str = Field(max_length=2048, unique=True)
    activity_type: str = Field(max_length=64)
    actor_ap_id: str = Field(max_length=2048, index=True)
    # The local actor whose personal inbox received it; None for the shared inbox.
    recipient_id: int | None = Field(
        default=None, sa_column=fk_column("actors.id", nullable=True, index=False)
    )
    key_id: str = Field(max_length=2048)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(default=InboxState.RECEIVED, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    locked_until: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
