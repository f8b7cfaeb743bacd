"""Account data jobs as rows: create, read, lease, advance, finish.

The workers keep nothing in memory: a job's row says how far it got
(``step``, ``done_count`` of ``total``), each step commits its own work with
the row's new progress, and the lease (``locked_until``) is renewed at every
commit. A worker that dies leaves a lease that runs out; the next worker
resumes from the row. Every step is written so that doing it twice is
harmless.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import locked
from storage.models import AccountJob, Actor, JobKind, JobState
from storage.types import utcnow

#: How long a worker holds a job between two commits.
LEASE = timedelta(seconds=120)
#: A job that failed this many times stays ``failed``.
MAX_ATTEMPTS = 5
ACTIVE = (JobState.QUEUED, JobState.RUNNING)


class AccountDataError(ValueError):
    """A request about one's data that cannot be done; the message is safe to show."""


async def create(
    session: AsyncSession,
    actor: Actor,
    kind: JobKind,
    *,
    import_type: str | None = None,
    payload: dict[str, Any] | None = None,
) -> AccountJob:
    """Queue a job for ``actor``; one of each kind at a time (a second is refused)."""
    assert actor.id is not None
    running = (
        await session.exec(
            select(AccountJob.id).where(
                AccountJob.actor_id == actor.id,
                AccountJob.kind == kind,
                col(AccountJob.state).in_(ACTIVE),
            )
        )
    ).first()
    if running is not None:
        raise AccountDataError(f"an {kind.value} of this account is already under way")
    job = AccountJob(actor_id=actor.id, kind=kind, import_type=import_type, payload=payload or {})
    session.add(job)
    await session.flush()
    return job


async def of_actor(session: AsyncSession, actor: Actor, *, limit: int = 20) -> list[AccountJob]:
    """The account's jobs, newest first."""
    rows = await session.exec(
        select(AccountJob)
        .where(AccountJob.actor_id == actor.id)
        .order_by(col(AccountJob.id).desc())
        .limit(limit)
    )
    return list(rows.all())


async def own(session: AsyncSession, actor: Actor, job_id: int) -> AccountJob | None:
    job = await session.get(AccountJob, job_id)
    return job if job is not None and job.actor_id == actor.id else None


async def claim(session: AsyncSession) -> AccountJob | None:
    """Lease one job that is due: queued, or running with a lease run out (a crash)."""
    now = utcnow()
    ready = (
        select(AccountJob.id)
        .where(
            col(AccountJob.state).in_(ACTIVE),
            AccountJob.next_attempt_at <= now,
            or_(col(AccountJob.locked_until).is_(None), col(AccountJob.locked_until) < now),
        )
        .order_by(col(AccountJob.next_attempt_at), col(AccountJob.id))
        .limit(1)
    )
    if (await session.exec(ready)).first() is None:
        return None  # a read, so an idle worker never takes SQLite's write lock
    ready = locked(session, ready, skip_locked=True)
    stmt = (
        update(AccountJob)
        .where(col(AccountJob.id).in_(ready.scalar_subquery()))
        .values(locked_until=now + LEASE, state=JobState.RUNNING, updated_at=now)
        .returning(col(AccountJob.id))
    )
    claimed = (await session.exec(stmt)).first()
    if claimed is None:
        return None
    return await session.get(AccountJob, claimed[0], populate_existing=True)


def advance(
    job: AccountJob,
    *,
    step: str | None = None,
    done: int | None = None,
    total: int | None = None,
) -> None:
    """Record progress (the caller commits it with the step's work) and renew the lease."""
    if step is not None:
        job.step = step
    if total is not None:
        job.total = total
    if done is not None:
        job.done_count = done
    job.progress = min(99, job.done_count * 100 // job.total) if job.total else 0
    now = utcnow()
    job.locked_until, job.updated_at = now + LEASE, now


def finish(job: AccountJob, *, error: str | None = None) -> None:
    """``done`` (100 %), or after a failure ``queued`` again later, ``failed`` at the last."""
    now = utcnow()
    job.updated_at, job.locked_until = now, None
    if error is None:
        job.state, job.progress, job.finished_at, job.error = JobState.DONE, 100, now, None
        return
    job.attempts += 1
    job.error = error[:2000]
    if job.attempts >= MAX_ATTEMPTS:
        job.state, job.finished_at = JobState.FAILED, now
    else:
        job.state = JobState.QUEUED
        job.next_attempt_at = now + timedelta(seconds=30 * 2**job.attempts)
