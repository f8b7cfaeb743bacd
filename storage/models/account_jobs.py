"""A person's data jobs: an archive export, a CSV import, the erasure of an account.

Each is a row with an explicit state, so that a job outlives the request that
asked for it and the process that runs it:

``queued`` → ``running`` (leased by a worker through ``locked_until``; a
crashed worker's lease runs out and another picks the row up where
``step`` says it was) → ``done`` | ``failed``.

``progress`` is 0-100 for the pages and the API; ``done_count`` and
``total`` are what it is computed from. ``payload`` holds what the job needs
(an import's CSV text, bounded by the import size limit; an erasure's
collected inboxes and files), ``report`` what it found (an import's refused
rows), ``result_name`` an export's archive under the media directory.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class JobKind(StrEnum):
    EXPORT = "export"
    IMPORT = "import"
    ERASE = "erase"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class AccountJob(SQLModel, table=True):
    __tablename__ = "account_jobs"

    id: int | None = Field(default=None, sa_column=id_column())
    actor_id: int = Field(sa_column=fk_column("actors.id"))
    kind: str = Field(max_length=16)
    # An import's type: follows, blocks, mutes, bookmarks.
    import_type: str | None = Field(default=None, max_length=16)
    # ``queued`` is the ready state :func:`storage.jobs.claim` looks for.
    state: str = Field(default=JobState.QUEUED, max_length=16, index=True)
    step: str = Field(default="", max_length=32)
    progress: int = 0
    done_count: int = 0
    total: int = 0
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    locked_until: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result_name: str | None = Field(default=None, max_length=255)
    result_size: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    finished_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
