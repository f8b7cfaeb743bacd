"""An account's data as a Mastodon-compatible archive (a zip).

Mastodon's archive layout, so that tools that read Mastodon's read ours:
``actor.json``, ``outbox.json`` (every Create of the account's live posts,
whatever their visibility: it is the owner's own copy), ``likes.json``,
``bookmarks.json``, ``media_attachments/<file>`` (every uploaded file of the
account), and the CSVs Mastodon exports: ``following_accounts.csv``,
``blocked_accounts.csv``, ``muted_accounts.csv``, ``bookmarks.csv``.
Built in memory: a school account's archive is small; a very large account
would want a background job (not yet).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.as2 import actor_to_as2
from actors.config import NodeConfig
from content.as2 import object_to_as2
from content.media import SUBDIR
from storage.models import (
    Actor,
    Block,
    Bookmark,
    ContentObject,
    Follow,
    FollowState,
    Like,
    MediaAttachment,
    Mute,
)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


def _acct(actor: Actor) -> str:
    return f"{actor.username}@{actor.domain}"


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _collection(kind: str, items: list[Any]) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": f"{kind}.json",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }


async def _others(session: AsyncSession, ids: list[int]) -> dict[int, Actor]:
    if not ids:
        return {}
    rows = await session.exec(select(Actor).where(col(Actor.id).in_(ids)))
    return {a.id: a for a in rows.all() if a.id is not None}


async def build_archive(session: AsyncSession, config: NodeConfig, actor: Actor) -> bytes:
    assert actor.id is not None
    posts = list(
        (
            await session.exec(
                select(ContentObject)
                .where(ContentObject.author_id == actor.id, col(ContentObject.deleted_at).is_(None))
                .order_by(col(ContentObject.id))
            )
        ).all()
    )
    outbox = [
        {
            "id": f"{obj.ap_id}/activity",
            "type": "Create",
            "actor": actor.ap_id,
            "published": obj_doc.get("published"),
            "to": obj.to,
            "cc": obj.cc,
            "object": obj_doc,
        }
        for obj in posts
        for obj_doc in [object_to_as2(obj, actor, config)]
    ]
    liked = (
        await session.exec(
            select(ContentObject.ap_id)
            .join(Like, Like.object_id == ContentObject.id)  # type: ignore[arg-type]
            .where(Like.actor_id == actor.id)
        )
    ).all()
    marked = (
        await session.exec(
            select(ContentObject.ap_id)
            .join(Bookmark, Bookmark.object_id == ContentObject.id)  # type: ignore[arg-type]
            .where(Bookmark.actor_id == actor.id)
        )
    ).all()
    following = (
        await session.exec(
            select(Follow.followee_id).where(
                Follow.follower_id == actor.id, Follow.state == FollowState.ACCEPTED
            )
        )
    ).all()
    blocked = (await session.exec(select(Block.target_id).where(Block.actor_id == actor.id))).all()
    muted = (await session.exec(select(Mute.target_id).where(Mute.actor_id == actor.id))).all()
    people = await _others(session, [*following, *blocked, *muted])
    media = (
        await session.exec(select(MediaAttachment).where(MediaAttachment.actor_id == actor.id))
    ).all()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("actor.json", json.dumps(actor_to_as2(actor, config), indent=2))
        archive.writestr("outbox.json", json.dumps(_collection("outbox", outbox), indent=2))
        archive.writestr("likes.json", json.dumps(_collection("likes", list(liked)), indent=2))
        archive.writestr(
            "bookmarks.json", json.dumps(_collection("bookmarks", list(marked)), indent=2)
        )
        archive.writestr(
            "following_accounts.csv",
            _csv(
                ["Account address", "Show boosts", "Notify on new posts", "Languages"],
                [[_acct(people[i]), "true", "false", ""] for i in following if i in people],
            ),
        )
        archive.writestr(
            "blocked_accounts.csv", "".join(f"{_acct(people[i])}\n" for i in blocked if i in people)
        )
        archive.writestr(
            "muted_accounts.csv",
            _csv(
                ["Account address", "Hide notifications"],
                [[_acct(people[i]), "true"] for i in muted if i in people],
            ),
        )
        archive.writestr("bookmarks.csv", "".join(f"{uri}\n" for uri in marked))
        for upload in media:
            path = config.media_dir / SUBDIR / upload.file_name
            if path.is_file():
                archive.write(path, f"media_attachments/{upload.file_name}")
    return buffer.getvalue()
