"""The CSV imports Mastodon accepts: follows, blocks, mutes, bookmarks.

The files are the ones Mastodon exports (and our archive holds):

* ``following_accounts.csv``: ``Account address,Show boosts,Notify on new
  posts,Languages`` (the header is optional; only the address is required);
* ``blocked_accounts.csv``: one address a line;
* ``muted_accounts.csv``: ``Account address,Hide notifications``;
* ``bookmarks.csv``: one post URL a line.

:func:`parse` checks the upload when it is made (size, encoding, row count)
and keeps its rows in the job; the worker then applies them one by one
(:func:`run`), resolving a remote account through WebFinger and a remote
post through its URL with the node's guarded client (so the SSRF guard, the
size limits and the domain policy apply). A row that cannot be applied (not
an address, nobody there, a blocked domain, the account itself) is reported
in ``report["errors"]`` with its line number; the rest go on. Imports add:
nothing already there is removed (Mastodon's "merge").
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from actors import graph, mutes
from actors.context import NodeContext
from content import bookmarks
from content.account_data import jobs
from content.resolve import is_url, looks_like_handle, resolve_account, resolve_url, split_acct
from content.visibility import may_read
from federation.errors import FederationError
from storage.models import AccountJob, Actor, ContentObject

log = logging.getLogger(__name__)

TYPES = ("follows", "blocks", "mutes", "bookmarks")
#: The largest file accepted (a school account's lists are far smaller).
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
#: Refused rows kept in the report; the count goes on beyond.
MAX_REPORTED = 200
HEADERS = {"account address", "hide notifications", "show boosts"}


class ImportRefused(jobs.AccountDataError):
    """The whole file is refused (too large, not text, no rows, an unknown type)."""


def parse(kind: str, data: bytes) -> list[list[str]]:
    """The rows of an uploaded CSV (a header row dropped), or :class:`ImportRefused`."""
    if kind not in TYPES:
        raise ImportRefused(f"type must be one of {', '.join(TYPES)}")
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text") from None
    try:
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)) if any(row)]
    except csv.Error as exc:
        raise ImportRefused(f"the file is not CSV: {exc}") from None
    if rows and rows[0] and rows[0][0].strip().lower() in HEADERS:
        rows = rows[1:]
    if not rows:
        raise ImportRefused("the file has no rows")
    if len(rows) > MAX_ROWS:
        raise ImportRefused(f"the file has more than {MAX_ROWS} rows")
    return rows


def _flag(row: list[str], index: int, default: bool) -> bool:
    if len(row) <= index or not row[index]:
        return default
    return row[index].strip().lower() in ("true", "1", "yes")


async def _target_account(node: NodeContext, actor: Actor, address: str) -> Actor:
    user, host = split_acct(address)
    if not user or not (host is None or looks_like_handle(address)) or " " in address:
        raise jobs.AccountDataError("not an account address (user@host)")
    try:
        target = await resolve_account(node, address)
    except FederationError as exc:
        raise jobs.AccountDataError(f"could not be reached: {exc.reason}") from None
    if target is None:
        raise jobs.AccountDataError("no such account")
    if target.id == actor.id:
        raise jobs.AccountDataError("that is this account")
    return target


async def _target_post(node: NodeContext, url: str) -> ContentObject:
    if not is_url(url):
        raise jobs.AccountDataError("not a post URL")
    try:
        found = await resolve_url(node, url)
    except FederationError as exc:
        raise jobs.AccountDataError(f"could not be reached: {exc.reason}") from None
    if not isinstance(found, ContentObject):
        raise jobs.AccountDataError("no such post")
    return found


async def _apply(
    session: AsyncSession, node: NodeContext, actor: Actor, kind: str, row: list[str], target: Any
) -> None:
    if kind == "follows":
        if await graph.blocks(session, target.id, actor.id) or await graph.blocks(
            session, actor.id, target.id
        ):
            raise jobs.AccountDataError("a block stands between the accounts")
        try:
            await graph.follow(session, node, actor, target)
        except graph.GraphError as exc:
            raise jobs.AccountDataError(str(exc)) from None
        await graph.set_notify(session, actor, target, _flag(row, 2, False))
    elif kind == "blocks":
        await graph.block(session, node, actor, target)
    elif kind == "mutes":
        try:
            await mutes.mute(session, actor, target, notifications=_flag(row, 1, True))
        except mutes.MuteError as exc:
            raise jobs.AccountDataError(str(exc)) from None
    else:
        obj = await session.get(ContentObject, target.id)
        author = await session.get(Actor, obj.author_id) if obj is not None else None
        if obj is None or author is None or not await may_read(session, obj, author, actor):
            raise jobs.AccountDataError("no such post")
        await bookmarks.bookmark(session, actor, obj)


async def run(node: NodeContext, job_id: int) -> None:
    """Apply the job's rows from where it stopped, one committed row at a time."""
    async with node.sessions() as session:
        job = await session.get(AccountJob, job_id)
        assert job is not None
        rows: list[list[str]] = list(job.payload.get("rows", []))
        kind, start = job.import_type or "", job.done_count
        jobs.advance(job, step="rows", total=len(rows))
        await session.commit()
    for number in range(start, len(rows)):
        row = rows[number]
        value = row[0] if row else ""
        error: str | None = None
        target: Any = None
        try:
            if kind == "bookmarks":
                target = await _target_post(node, value)
            else:
                actor = await _actor_of(node, job_id)
                target = await _target_account(node, actor, value)
        except jobs.AccountDataError as exc:
            error = str(exc)
        async with node.sessions() as session:
            job = await session.get(AccountJob, job_id)
            actor_row = await session.get(Actor, job.actor_id) if job is not None else None
            assert job is not None and actor_row is not None
            # A write first: on SQLite the transaction then holds the write lock
            # before the savepoint reads, so no other commit can come in between.
            jobs.advance(job, done=number)
            await session.flush()
            if error is None:
                try:
                    async with session.begin_nested():
                        await _apply(session, node, actor_row, kind, row, target)
                except jobs.AccountDataError as exc:
                    error = str(exc)
            report = dict(job.report)
            report["imported"] = int(report.get("imported", 0)) + (error is None)
            if error is not None:
                report["refused"] = int(report.get("refused", 0)) + 1
                reported = list(report.get("errors", []))
                if len(reported) < MAX_REPORTED:
                    reported.append({"row": number + 1, "value": value[:200], "reason": error})
                report["errors"] = reported
            job.report = report
            jobs.advance(job, done=number + 1)
            await session.commit()
    async with node.sessions() as session:
        job = await session.get(AccountJob, job_id)
        assert job is not None
        job.payload = {}  # the rows are not kept once applied
        jobs.finish(job)
        await session.commit()


async def _actor_of(node: NodeContext, job_id: int) -> Actor:
    async with node.sessions() as session:
        job = await session.get(AccountJob, job_id)
        assert job is not None
        actor = await session.get(Actor, job.actor_id)
        assert actor is not None
        return actor
