"""``staffroom accounts``: a person's data from the command line (the operator's tools).

* ``export NAME [--out FILE]``: the Mastodon-compatible archive; ``--out``
  copies it out of the media directory;
* ``import NAME --type follows|blocks|mutes|bookmarks FILE``: a Mastodon CSV;
* ``erase NAME --yes``: the account erased (no password: the operator asks);
* ``jobs NAME``: the account's jobs with their state and progress.

Each runs the same job the workers run (a row in ``account_jobs``), here in
this process with its progress printed; it holds the job's lease, so a
running node's workers leave it alone, and if this command is stopped the
node's workers finish the job once the lease runs out.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

from actors.context import NodeContext
from actors.local import account_by_name, local_actor_by_name
from content.account_data import archive, erasure, imports, jobs, worker
from staffroom.app import node_context
from staffroom.settings import Settings
from storage.models import AccountJob, JobKind, JobState
from storage.types import utcnow


class AccountCommandError(ValueError):
    pass


async def _found(session: Any, name: str) -> Any:
    found = await account_by_name(session, name)
    if found is None:
        raise AccountCommandError(f"no local account {name!r}")
    return found


async def _run_here(node: NodeContext, job_id: int) -> AccountJob:
    """Run the job in this process, printing its progress; the finished row."""
    task = asyncio.create_task(worker.RUNNERS[await _kind(node, job_id)](node, job_id))
    while not task.done():
        await asyncio.wait({task}, timeout=0.5)
        row = await _row(node, job_id)
        print(f"\r{row.kind}: {row.step or 'starting'} {row.progress}%", end="", file=sys.stderr)
    print(file=sys.stderr)
    try:
        task.result()
    except Exception as exc:
        async with node.sessions() as session:
            failed = await session.get(AccountJob, job_id)
            assert failed is not None
            jobs.finish(failed, error=f"{type(exc).__name__}: {exc}")
            await session.commit()
        message = f"the job failed ({exc}); the node's workers will retry it"
        raise AccountCommandError(message) from None
    return await _row(node, job_id)


async def _row(node: NodeContext, job_id: int) -> AccountJob:
    async with node.sessions() as session:
        row = await session.get(AccountJob, job_id)
        assert row is not None
        return row


async def _kind(node: NodeContext, job_id: int) -> str:
    return (await _row(node, job_id)).kind


def _leased(job: AccountJob) -> None:
    job.state = JobState.RUNNING
    job.locked_until = utcnow() + jobs.LEASE


def _start(settings: Settings, name: str, make: Any) -> tuple[AccountJob, Path]:
    """Create ``name``'s job with ``make(session, account, actor)`` and run it here;
    the finished row and the node's media directory."""

    async def run() -> tuple[AccountJob, Path]:
        async with node_context(settings) as node:
            async with node.sessions() as session:
                account, actor = await _found(session, name)
                try:
                    job = await make(session, account, actor)
                except jobs.AccountDataError as exc:
                    raise AccountCommandError(str(exc)) from None
                _leased(job)
                await session.commit()
                assert job.id is not None
                job_id = job.id
            return await _run_here(node, job_id), node.config.media_dir

    return asyncio.run(run())


def cmd_export(settings: Settings, args: argparse.Namespace) -> None:
    async def make(session: Any, _account: Any, actor: Any) -> AccountJob:
        return await jobs.create(session, actor, JobKind.EXPORT)

    job, media_dir = _start(settings, args.name, make)
    path = archive.archive_path(media_dir, job)
    assert path is not None
    if args.out:
        shutil.copyfile(path, args.out)
        path = Path(args.out)
    print(f"{path} ({job.result_size} bytes, {job.report.get('posts', 0)} posts)")


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    try:
        rows = imports.parse(args.type, Path(args.file).read_bytes())
    except jobs.AccountDataError as exc:
        raise AccountCommandError(str(exc)) from None

    async def make(session: Any, _account: Any, actor: Any) -> AccountJob:
        return await jobs.create(
            session, actor, JobKind.IMPORT, import_type=args.type, payload={"rows": rows}
        )

    job, _media = _start(settings, args.name, make)
    print(f"imported {job.report.get('imported', 0)}, refused {job.report.get('refused', 0)}")
    for error in job.report.get("errors", []):
        print(f"  row {error['row']}: {error['value']!r}: {error['reason']}")


def cmd_erase(settings: Settings, args: argparse.Namespace) -> None:
    if not args.yes:
        raise AccountCommandError("erasing cannot be undone: add --yes")

    async def make(session: Any, account: Any, actor: Any) -> AccountJob:
        return await erasure.request(session, account, actor, password=None, operator=True)

    job, _media = _start(settings, args.name, make)
    sent = job.report.get("delete_sent_to", [])
    print(f"erased {args.name}: Delete queued for {len(sent)} inbox(es)")


def cmd_jobs(settings: Settings, args: argparse.Namespace) -> None:
    async def run() -> None:
        async with node_context(settings) as node, node.sessions() as session:
            # By the actor: an erased account has no account row left, only its jobs.
            actor = await local_actor_by_name(session, args.name)
            if actor is None:
                raise AccountCommandError(f"no local account {args.name!r}")
            for job in await jobs.of_actor(session, actor):
                print(
                    f"{job.id}\t{job.kind}\t{job.import_type or ''}\t{job.state}\t"
                    f"{job.progress}%\t{job.created_at:%Y-%m-%d %H:%M}\t{job.error or ''}"
                )

    asyncio.run(run())


def register(subparsers: Any) -> list[argparse.ArgumentParser]:
    accounts = subparsers.add_parser(
        "accounts", help="a person's data: export, import, erase"
    ).add_subparsers(dest="accounts_command", required=True)
    p_export = accounts.add_parser("export", help="the account's Mastodon-compatible archive")
    p_export.add_argument("name")
    p_export.add_argument("--out", help="copy the zip here")
    p_export.set_defaults(func=cmd_export)
    p_import = accounts.add_parser("import", help="a Mastodon CSV: follows, blocks, mutes...")
    p_import.add_argument("name")
    p_import.add_argument("--type", required=True, choices=list(imports.TYPES))
    p_import.add_argument("file")
    p_import.set_defaults(func=cmd_import)
    p_erase = accounts.add_parser("erase", help="erase the account (Delete sent everywhere)")
    p_erase.add_argument("name")
    p_erase.add_argument("--yes", action="store_true", help="yes, erase it for good")
    p_erase.set_defaults(func=cmd_erase)
    p_jobs = accounts.add_parser("jobs", help="the account's data jobs and their progress")
    p_jobs.add_argument("name")
    p_jobs.set_defaults(func=cmd_jobs)
    return [p_export, p_import, p_erase, p_jobs]
