"""Erasing one of our accounts: nothing left but its tombstone, here and on every node that had it.

:func:`request` (from the settings page with the password, the API with the
password, or the CLI by an operator) locks the account at once, in the
caller's transaction: sign-in refused, every token revoked, the actor URL
answering ``410 Gone`` with a ``Tombstone``. The job then runs in steps,
each committed with the job's progress, each safe to run again after a
crash:

1. ``collect``: every inbox that has the account, written into the job
   before anything is deleted: its followers' and followees' (any state),
   those it blocked, those who liked, boosted or answered its posts, every
   inbox its activities were delivered to (the nodes that received its
   posts, likes and replies) and every inbox our communities' Announces of
   them reached. One per host, a shared inbox where there is one.
2. ``posts``: its posts become tombstones, a batch at a time.
3. ``purge``: the communities it owns handed to a successor
   (:mod:`content.communities.succession`), then every other row of it
   (:mod:`.purge`), the profile cleared.
4. ``delete``: ``Delete`` of the actor, signed by its key (kept on the
   tombstone for the retries), queued for the collected inboxes through the
   node's policy (nothing to a blocked domain; nothing of a student who
   never federated). See FEDERATION.md.
5. ``files``: its uploads, materials' files, avatar, header and archives
   removed from disk.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import col, delete, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from actors.context import NodeContext
from actors.local import count_admins
from actors.passwords import verify_password
from actors.roles import INSTANCE_ACTOR_USERNAME
from content.account_data import archive, files, jobs
from content.account_data.purge import purge
from content.communities.succession import hand_over
from content.objects import tombstone
from federation.constants import PUBLIC
from outbox.publish import enqueue
from storage.models import (
    AccessToken,
    Account,
    AccountJob,
    Activity,
    Actor,
    ActorModeration,
    ActorType,
    Announce,
    Block,
    ContentObject,
    Delivery,
    Follow,
    JobKind,
    Like,
    Role,
)
from storage.repos.domain_rules import load_rules
from storage.repos.locality import stays_local
from storage.types import utcnow

BATCH = 100
STATUS_KEY = "status_key"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


def delete_activity_id(actor: Actor) -> str:
    return f"{actor.ap_id}#delete"


async def request(
    session: AsyncSession,
    account: Account,
    actor: Actor,
    *,
    password: str | None,
    operator: bool = False,
) -> AccountJob:
    """Lock the account now and queue its erasure. ``operator`` (the CLI) needs no password."""
    if actor.type != ActorType.PERSON or not actor.local:
        raise jobs.AccountDataError("only a person's account can be erased")
    if actor.local_username == INSTANCE_ACTOR_USERNAME:
        raise jobs.AccountDataError("the node's own actor cannot be erased")
    if not operator and not verify_password(account.password_hash, password or ""):
        raise jobs.AccountDataError("the password is not right")
    if account.role == Role.ADMIN and await count_admins(session) <= 1:
        raise jobs.AccountDataError("the node's last admin cannot be erased")
    # The person is signed out at once: this key lets them (and only whoever holds
    # it) watch the erasure's progress without an account (:func:`progress_of`).
    job = await jobs.create(
        session, actor, JobKind.ERASE, payload={STATUS_KEY: secrets.token_urlsafe(18)}
    )
    account.disabled = True
    session.add(account)
    await session.exec(delete(AccessToken).where(col(AccessToken.account_id) == account.id))
    actor.gone = True  # the actor URL answers 410 from now on
    actor.discoverable = False
    session.add(actor)
    await session.flush()
    return job


async def progress_of(session: AsyncSession, job_id: int, key: str) -> AccountJob | None:
    """The erasure job ``job_id`` if ``key`` is its status key (None otherwise)."""
    job = await session.get(AccountJob, job_id)
    if job is None or job.kind != JobKind.ERASE:
        return None
    expected = str(job.payload.get(STATUS_KEY) or "")
    return job if expected and hmac.compare_digest(expected, key) else None


async def _inboxes(session: AsyncSession, actor: Actor) -> list[str]:
    """One inbox per host of everyone who may have the account (see step 1)."""
    assert actor.id is not None
    own_ids = select(ContentObject.id).where(ContentObject.author_id == actor.id)
    own_uris = select(ContentObject.ap_id).where(ContentObject.author_id == actor.id)
    own_activities = select(Activity.ap_id).where(Activity.actor_id == actor.id)
    others = select(Actor).where(
        col(Actor.local).is_(False),
        or_(
            col(Actor.id).in_(select(Follow.follower_id).where(Follow.followee_id == actor.id)),
            col(Actor.id).in_(select(Follow.followee_id).where(Follow.follower_id == actor.id)),
            col(Actor.id).in_(select(Block.target_id).where(Block.actor_id == actor.id)),
            # Those who liked, boosted or answered its posts hold them too.
            col(Actor.id).in_(select(Like.actor_id).where(col(Like.object_id).in_(own_ids))),
            col(Actor.id).in_(
                select(Announce.actor_id).where(col(Announce.object_id).in_(own_ids))
            ),
            col(Actor.id).in_(
                select(ContentObject.author_id).where(col(ContentObject.in_reply_to).in_(own_uris))
            ),
        ),
    )
    by_host: dict[str, str] = {}
    for other in (await session.exec(others)).all():
        url = other.shared_inbox_url or other.inbox_url
        host = urlsplit(url).netloc.lower()
        if other.shared_inbox_url or host not in by_host:
            by_host[host] = url
    # Where its activities went, and where our communities' Announces of them went.
    delivered = await session.exec(
        select(Delivery.inbox_url, Delivery.host)
        .join(Activity, col(Activity.id) == Delivery.activity_id)
        .where(
            or_(
                col(Activity.actor_id) == actor.id,
                col(Activity.object_ap_id).in_(own_uris),
                col(Activity.object_ap_id).in_(own_activities),
            )
        )
        .distinct()
    )
    for url, host in delivered.all():
        by_host.setdefault(host, url)
    return sorted(by_host.values())


async def _load(session: AsyncSession, job_id: int) -> tuple[AccountJob, Actor]:
    job = await session.get(AccountJob, job_id)
    assert job is not None
    actor = await session.get(Actor, job.actor_id)
    assert actor is not None
    return job, actor


async def _collect(node: NodeContext, job_id: int) -> None:
    async with node.sessions() as session:
        job, actor = await _load(session, job_id)
        if "inboxes" not in job.payload:
            assert actor.id is not None
            names = await files.stored_files(session, node.config.media_dir, actor)
            # Asked now, while the account (and so its role) still exists: nothing
            # of a student who never federated may leave, not even its Delete.
            hidden = await stays_local(session, actor.id, None)
            inboxes = [] if hidden else await _inboxes(session, actor)
            job.payload = {**job.payload, "inboxes": inboxes, "files": names}
        posts = await session.exec(
            select(func.count())
            .select_from(ContentObject)
            .where(ContentObject.author_id == actor.id, col(ContentObject.deleted_at).is_(None))
        )
        left = int(posts.one())
        jobs.advance(job, step="posts", done=0, total=left + 3)
        await session.commit()


async def _posts(node: NodeContext, job_id: int) -> None:
    while True:
        async with node.sessions() as session:
            job, actor = await _load(session, job_id)
            batch = (
                await session.exec(
                    select(ContentObject)
                    .where(
                        ContentObject.author_id == actor.id,
                        col(ContentObject.deleted_at).is_(None),
                    )
                    .limit(BATCH)
                )
            ).all()
            for obj in batch:
                await tombstone(session, obj)
            jobs.advance(job, done=job.done_count + len(batch))
            await session.commit()
        if len(batch) < BATCH:
            return


async def _purge(node: NodeContext, job_id: int) -> None:
    async with node.sessions() as session:
        job, actor = await _load(session, job_id)
        await hand_over(session, actor)
        await purge(session, node, actor)
        # Its other jobs go too (an import's addresses, an export's archive row).
        await session.exec(
            delete(AccountJob).where(
                col(AccountJob.actor_id) == actor.id, col(AccountJob.id) != job_id
            )
        )
        jobs.advance(job, step="delete", done=job.done_count + 1)
        await session.commit()


def delete_body(actor: Actor) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": delete_activity_id(actor),
        "type": "Delete",
        "actor": actor.ap_id,
        "object": actor.ap_id,
        "to": [PUBLIC],
    }


async def _send_delete(node: NodeContext, job_id: int) -> None:
    async with node.sessions() as session:
        job, actor = await _load(session, job_id)
        assert actor.id is not None
        body = delete_body(actor)
        activity = (
            await session.exec(select(Activity).where(Activity.ap_id == body["id"]))
        ).first()
        if activity is None:
            activity = Activity(
                actor_id=actor.id,
                ap_id=body["id"],
                type="Delete",
                object_ap_id=actor.ap_id,
                public=True,
                body=body,
            )
            session.add(activity)
            await session.flush()
        rules = await load_rules(session)
        inboxes = {
            url
            for url in job.payload.get("inboxes", [])
            if rules.refusal(urlsplit(url).netloc) is None
        }
        await enqueue(session, activity, inboxes)
        # A suspension's grace period would send this Delete again: it has been sent.
        await session.exec(
            update(ActorModeration)
            .where(
                col(ActorModeration.actor_id) == actor.id,
                col(ActorModeration.deleted_federated_at).is_(None),
            )
            .values(deleted_federated_at=utcnow())
        )
        job.report = {"delete_sent_to": sorted(inboxes)}
        jobs.advance(job, step="files", done=job.done_count + 1)
        await session.commit()


async def _files(node: NodeContext, job_id: int) -> None:
    async with node.sessions() as session:
        job, actor = await _load(session, job_id)
        assert actor.id is not None
        removed = files.remove(node.config.media_dir, list(job.payload.get("files", [])))
        archive.remove_archives(node.config.media_dir, actor.id)
        job.report = {**job.report, "files_removed": removed}
        job.payload = {k: v for k, v in job.payload.items() if k != "files"}
        jobs.finish(job)
        await session.commit()


async def run(node: NodeContext, job_id: int) -> None:
    """Run the erasure from the step its row names to the end."""
    async with node.sessions() as session:
        job, _actor = await _load(session, job_id)
        step = job.step
    order = ["collect", "posts", "purge", "delete", "files"]
    start = order.index(step) if step in order else 0
    work = {
        "collect": _collect,
        "posts": _posts,
        "purge": _purge,
        "delete": _send_delete,
        "files": _files,
    }
    for name in order[start:]:
        await work[name](node, job_id)
        if name == "posts":
            async with node.sessions() as session:
                job, _actor = await _load(session, job_id)
                jobs.advance(job, step="purge")
                await session.commit()
