"""An account's data as a Mastodon-compatible archive (a zip), written by a job.

Mastodon's archive layout, so that tools that read Mastodon's read ours:
``actor.json``, ``outbox.json`` (a Create for each of the account's live
posts, whatever their visibility: it is the owner's own copy), ``likes.json``,
``bookmarks.json``, ``media_attachments/<file>`` (uploads, materials' files,
avatar and header: :mod:`content.account_data.files`), and the CSVs Mastodon
exports and imports: ``following_accounts.csv``, ``blocked_accounts.csv``,
``muted_accounts.csv``, ``bookmarks.csv``.

The archive is streamed into ``media_dir/exports/<actor id>/``, posts and
files in batches, the job's progress committed after each; a crash leaves a
``.part`` file the next attempt starts over. The finished name has a random
part and three path segments, which the ``/media`` route never serves: only
its owner downloads it, through the API or the pages. A new archive replaces
the account's earlier ones, and an erasure removes them all.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.as2 import actor_to_as2
from actors.context import NodeContext
from content.account_data import files, jobs
from content.as2 import object_to_as2
from storage.models import (
    AccountJob,
    Actor,
    Block,
    Bookmark,
    ContentObject,
    Follow,
    FollowState,
    Like,
    Mute,
)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
BATCH = 200
EXPORTS = "exports"
FOLLOWING_HEADER = ["Account address", "Show boosts", "Notify on new posts", "Languages"]
MUTED_HEADER = ["Account address", "Hide notifications"]

Commit = Callable[[], Awaitable[None]]


def archive_path(media_dir: Path, job: AccountJob) -> Path | None:
    """Where a finished export's zip lives (None if it has none)."""
    if not job.result_name:
        return None
    return media_dir / job.result_name


def _acct(actor: Actor) -> str:
    return f"{actor.username}@{actor.domain}"


def _csv(header: list[str] | None, rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _collection(kind: str, items: list[Any]) -> str:
    return json.dumps(
        {
            "@context": AS_CONTEXT,
            "id": f"{kind}.json",
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        },
        indent=2,
    )


def _create(obj: ContentObject, actor: Actor, node: NodeContext) -> dict[str, Any]:
    doc = object_to_as2(obj, actor, node.config)
    return {
        "id": f"{obj.ap_id}/activity",
        "type": "Create",
        "actor": actor.ap_id,
        "published": doc.get("published"),
        "to": obj.to,
        "cc": obj.cc,
        "object": doc,
    }


def _live_posts(actor: Actor) -> Any:
    return select(ContentObject).where(
        ContentObject.author_id == actor.id, col(ContentObject.deleted_at).is_(None)
    )


async def _count_posts(session: AsyncSession, actor: Actor) -> int:
    query = (
        select(func.count())
        .select_from(ContentObject)
        .where(ContentObject.author_id == actor.id, col(ContentObject.deleted_at).is_(None))
    )
    return int((await session.exec(query)).one())


async def _write_outbox(
    session: AsyncSession, node: NodeContext, actor: Actor, out: IO[bytes], progress: Commit
) -> int:
    """Stream ``outbox.json`` a batch at a time; returns how many posts it holds."""
    out.write(f'{{"@context": "{AS_CONTEXT}", "id": "outbox.json", '.encode())
    out.write(b'"type": "OrderedCollection", "orderedItems": [\n')
    after, count = 0, 0
    while True:
        batch = list(
            (
                await session.exec(
                    _live_posts(actor)
                    .where(col(ContentObject.id) > after)
                    .order_by(col(ContentObject.id))
                    .limit(BATCH)
                )
            ).all()
        )
        if not batch:
            break
        for obj in batch:
            out.write(b",\n" if count else b"")
            out.write(json.dumps(_create(obj, actor, node)).encode())
            count += 1
        after = batch[-1].id or after
        await progress()
    out.write(f'\n], "totalItems": {count}}}\n'.encode())
    return count


async def _people(session: AsyncSession, ids: list[int]) -> dict[int, Actor]:
    if not ids:
        return {}
    rows = await session.exec(select(Actor).where(col(Actor.id).in_(ids)))
    return {a.id: a for a in rows.all() if a.id is not None}


async def _graph_files(session: AsyncSession, actor: Actor) -> dict[str, str]:
    liked = (
        await session.exec(
            select(ContentObject.ap_id)
            .join(Like, col(Like.object_id) == ContentObject.id)
            .where(Like.actor_id == actor.id)
        )
    ).all()
    marked = (
        await session.exec(
            select(ContentObject.ap_id)
            .join(Bookmark, col(Bookmark.object_id) == ContentObject.id)
            .where(Bookmark.actor_id == actor.id)
        )
    ).all()
    following = (
        await session.exec(
            select(Follow.followee_id, Follow.notify).where(
                Follow.follower_id == actor.id, Follow.state == FollowState.ACCEPTED
            )
        )
    ).all()
    blocked = (await session.exec(select(Block.target_id).where(Block.actor_id == actor.id))).all()
    muted = (
        await session.exec(
            select(Mute.target_id, Mute.notifications).where(Mute.actor_id == actor.id)
        )
    ).all()
    people = await _people(session, [*(f for f, _ in following), *blocked, *(m for m, _ in muted)])
    flag = {True: "true", False: "false"}
    return {
        "likes.json": _collection("likes", list(liked)),
        "bookmarks.json": _collection("bookmarks", list(marked)),
        "following_accounts.csv": _csv(
            FOLLOWING_HEADER,
            [[_acct(people[i]), "true", flag[bool(n)], ""] for i, n in following if i in people],
        ),
        "blocked_accounts.csv": _csv(None, [[_acct(people[i])] for i in blocked if i in people]),
        "muted_accounts.csv": _csv(
            MUTED_HEADER, [[_acct(people[i]), flag[bool(n)]] for i, n in muted if i in people]
        ),
        "bookmarks.csv": _csv(None, [[uri] for uri in marked]),
    }


async def run(node: NodeContext, job_id: int) -> None:
    """Build the archive for the job's account, committing progress as it goes."""
    media_dir = node.config.media_dir
    async with node.sessions() as session:
        job = await session.get(AccountJob, job_id)
        assert job is not None
        actor = await session.get(Actor, job.actor_id)
        assert actor is not None
        names = [n for n in await files.stored_files(session, media_dir, actor)]
        posts = await _count_posts(session, actor)
        jobs.advance(job, step="posts", done=0, total=posts + len(names) + 1)
        await session.commit()
        folder = media_dir / EXPORTS / str(actor.id)
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f"{job_id}.zip.part"
        done = 0

        async def progress(step: int = BATCH) -> None:
            nonlocal done
            done = min(done + step, job.total - 1)
            jobs.advance(job, done=done)
            await session.commit()

        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("actor.json", json.dumps(actor_to_as2(actor, node.config), indent=2))
            with archive.open("outbox.json", "w") as out:
                await _write_outbox(session, node, actor, out, progress)
            for name, text in (await _graph_files(session, actor)).items():
                archive.writestr(name, text)
            jobs.advance(job, step="media")
            for index, name in enumerate(names, 1):
                path = media_dir / name
                if path.is_file():
                    archive.write(path, f"media_attachments/{Path(name).name}")
                if index % 20 == 0:
                    await progress(20)
        final = folder / f"{job_id}-{secrets.token_hex(12)}.zip"
        part.rename(final)
        job.result_name = str(final.relative_to(media_dir))
        job.result_size = final.stat().st_size
        job.report = {"posts": posts, "files": len(names)}
        jobs.finish(job)
        older = await _older_archives(session, job)
        await session.commit()
    for name in older:
        (media_dir / name).unlink(missing_ok=True)


async def _older_archives(session: AsyncSession, job: AccountJob) -> list[str]:
    """A new archive replaces the account's earlier ones (kept no longer than needed)."""
    rows = await session.exec(
        select(AccountJob).where(
            AccountJob.actor_id == job.actor_id,
            AccountJob.kind == job.kind,
            AccountJob.id != job.id,
            col(AccountJob.result_name).is_not(None),
        )
    )
    names = []
    for row in rows.all():
        if row.result_name:
            names.append(row.result_name)
        row.result_name, row.result_size = None, None
        session.add(row)
    return names


def remove_archives(media_dir: Path, actor_id: int) -> None:
    """An erased account's archives go with it."""
    folder = media_dir / EXPORTS / str(actor_id)
    if folder.is_dir():
        for path in folder.iterdir():
            path.unlink(missing_ok=True)
        folder.rmdir()
