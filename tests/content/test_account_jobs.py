"""Account data jobs on both databases: leasing, retries, and an erasure resumed after a crash.

The node runs in-process over a fresh database (no HTTP needed: a remote
follower is a stored actor whose inbox is never reached, since the delivery
rows are what is checked).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import col, select

from actors.context import NodeContext
from actors.local import account_by_name
from content.account_data import erasure, jobs, worker
from content.account_data.purge import purge
from content.materials import search
from content.moderation import actions, suspension
from content.posts import create_post
from storage import migrate
from storage.engine import create_engine
from storage.models import (
    AccountJob,
    Activity,
    Actor,
    ContentObject,
    Delivery,
    Follow,
    FollowState,
    JobKind,
    JobState,
    Like,
    Material,
    Role,
    Visibility,
)
from storage.types import utcnow
from tests.support.inprocess import PASSWORD, in_process_node, person


@pytest.fixture
async def node(empty_database_url: str, tmp_path: Path) -> AsyncIterator[NodeContext]:
    engine = create_engine(empty_database_url)
    await migrate.upgrade(engine)
    await engine.dispose()
    async with in_process_node(empty_database_url, tmp_path / "data") as context:
        yield context


async def remote_follower(node: NodeContext, followee: Actor, host: str) -> Actor:
    async with node.sessions() as session:
        other = Actor(
            ap_id=f"https://{host}/users/fan",
            username="fan",
            domain=host,
            inbox_url=f"https://{host}/users/fan/inbox",
            shared_inbox_url=f"https://{host}/inbox",
        )
        session.add(other)
        await session.flush()
        assert other.id is not None and followee.id is not None
        session.add(
            Follow(
                follower_id=other.id,
                followee_id=followee.id,
                activity_ap_id=f"https://{host}/follows/1",
                state=FollowState.ACCEPTED,
            )
        )
        await session.commit()
        return other


async def test_a_job_is_leased_once_and_comes_back_when_its_lease_runs_out(
    node: NodeContext,
) -> None:
    alice = await person(node, "alice")
    async with node.sessions() as session:
        job = await jobs.create(session, alice, JobKind.EXPORT)
        with pytest.raises(jobs.AccountDataError):
            await jobs.create(session, alice, JobKind.EXPORT)  # one at a time
        await session.commit()
    async with node.sessions() as session:
        claimed = await jobs.claim(session)
        await session.commit()
    assert claimed is not None and claimed.id == job.id and claimed.state == JobState.RUNNING
    async with node.sessions() as session:
        assert await jobs.claim(session) is None  # leased
        row = await session.get(AccountJob, job.id)
        assert row is not None
        row.locked_until = utcnow() - timedelta(seconds=1)  # the worker died
        await session.commit()
    async with node.sessions() as session:
        again = await jobs.claim(session)
        assert again is not None and again.id == job.id
        jobs.finish(again, error="boom")
        assert again.state == JobState.QUEUED and again.next_attempt_at > utcnow()
        assert again.attempts == 1
        await session.commit()
        assert await jobs.claim(session) is None  # backing off
        for _ in range(jobs.MAX_ATTEMPTS):
            jobs.finish(again, error="boom")
        assert again.state == JobState.FAILED and again.error == "boom"


async def test_an_erasure_resumes_after_a_crash_and_sends_one_delete_per_host(
    node: NodeContext,
) -> None:
    vic = await person(node, "vic")
    await remote_follower(node, vic, "far.example")
    liker = await remote_follower(node, await person(node, "someone"), "liker.example")
    async with node.sessions() as session:
        made = [
            await create_post(
                session, node, vic, content_text_or_html=f"post {n}", visibility=Visibility.PUBLIC
            )
            for n in range(3)
        ]
        # A stranger on another node liked one: that node holds the post too.
        assert liker.id is not None and made[0].id is not None
        session.add(
            Like(
                actor_id=liker.id, object_id=made[0].id, activity_ap_id="https://liker.example/l/1"
            )
        )
        await session.commit()
        found = await account_by_name(session, "vic")
        assert found is not None
        job = await erasure.request(session, *found, password=PASSWORD)
        await session.commit()
    assert job.id is not None
    # A worker gets through the first two steps and dies.
    async with node.sessions() as session:
        assert await jobs.claim(session) is not None
        await session.commit()
    await erasure._collect(node, job.id)
    await erasure._posts(node, job.id)
    async with node.sessions() as session:
        row = await session.get(AccountJob, job.id)
        assert row is not None and row.step == "posts" and 0 < row.progress < 100
        row.locked_until = utcnow() - timedelta(seconds=1)
        await session.commit()
    # Another worker finishes it.
    assert await worker.run_once(node) == job.id
    async with node.sessions() as session:
        row = await session.get(AccountJob, job.id)
        assert row is not None and row.state == JobState.DONE and row.progress == 100
        sent = ["https://far.example/inbox", "https://liker.example/inbox"]
        assert row.report["delete_sent_to"] == sent
        live = await session.exec(
            select(ContentObject).where(
                ContentObject.author_id == vic.id, col(ContentObject.deleted_at).is_(None)
            )
        )
        assert live.all() == []
        (delete,) = (await session.exec(select(Activity).where(Activity.actor_id == vic.id))).all()
        assert delete.type == "Delete" and delete.body["object"] == vic.ap_id
        deliveries = (
            await session.exec(select(Delivery).where(Delivery.activity_id == delete.id))
        ).all()
        assert sorted(d.inbox_url for d in deliveries) == sent
        follows = (await session.exec(select(Follow))).all()
        assert [f.follower_id for f in follows] == [liker.id]  # someone else's follow stays
        actor = await session.get(Actor, vic.id)
        assert actor is not None and actor.gone and actor.private_key_pem
        assert await account_by_name(session, "vic") is None


async def test_a_students_erasure_sends_nothing_to_other_nodes(node: NodeContext) -> None:
    sam = await person(node, "sam", Role.STUDENT)
    await remote_follower(node, sam, "far.example")
    async with node.sessions() as session:
        found = await account_by_name(session, "sam")
        assert found is not None
        job = await erasure.request(session, *found, password=PASSWORD)
        await session.commit()
    assert await worker.run_until_idle(node) == 1
    async with node.sessions() as session:
        row = await session.get(AccountJob, job.id)
        assert row is not None and row.state == JobState.DONE
        assert row.report["delete_sent_to"] == []
        assert (await session.exec(select(Delivery))).all() == []


async def test_an_erasure_needs_the_password_and_spares_the_last_admin(
    node: NodeContext,
) -> None:
    await person(node, "head", Role.ADMIN)
    await person(node, "tess")
    async with node.sessions() as session:
        head = await account_by_name(session, "head")
        tess = await account_by_name(session, "tess")
        assert head is not None and tess is not None
        with pytest.raises(jobs.AccountDataError, match="password"):
            await erasure.request(session, *tess, password="wrong")
        with pytest.raises(jobs.AccountDataError, match="last admin"):
            await erasure.request(session, *head, password=PASSWORD)
        assert not tess[0].disabled and not tess[1].gone
        assert (await session.exec(select(AccountJob))).all() == []


async def test_a_suspended_account_erased_is_not_deleted_twice(node: NodeContext) -> None:
    una = await person(node, "una")
    await person(node, "head", Role.ADMIN)
    async with node.sessions() as session:
        head = await account_by_name(session, "head")
        assert head is not None
        await actions.suspend(session, head[1], una, "spam")
        await jobs.create(session, una, JobKind.EXPORT)
        await session.commit()
    assert await worker.run_until_idle(node) == 1  # the export
    async with node.sessions() as session:
        found = await account_by_name(session, "una")
        assert found is not None
        await erasure.request(session, *found, password=None, operator=True)
        state = await actions.state_of(session, una.id or 0)
        state.delete_after = utcnow() - timedelta(seconds=1)  # the grace period is over
        session.add(state)
        await session.commit()
    assert await worker.run_until_idle(node) == 1  # the erasure
    assert await suspension.sweep_once(node) == 0  # its Delete went out with the erasure
    async with node.sessions() as session:
        left = (await session.exec(select(AccountJob))).all()
        assert [j.kind for j in left] == [JobKind.ERASE]  # the export's row went with her
        deletes = (await session.exec(select(Activity).where(Activity.type == "Delete"))).all()
        assert len(deletes) == 1


async def test_an_erased_materials_words_leave_the_search_index(node: NodeContext) -> None:
    """FTS5 keeps a deleted entry's terms in its segments until they merge: the purge
    merges them, so the index holds nothing of the erased account (both backends)."""
    ria = await person(node, "ria")
    async with node.sessions() as session:
        obj = await create_post(
            session, node, ria, content_text_or_html="a worksheet", visibility=Visibility.PUBLIC
        )
        others = [
            await create_post(
                session, node, ria, content_text_or_html=f"filler {n}", visibility=Visibility.PUBLIC
            )
            for n in range(3)
        ]
        for row, title in [(obj, "Quokkaberry worksheet"), *((o, "lesson plants") for o in others)]:
            material = Material(
                object_id=row.id,
                author_id=ria.id,
                domain=node.config.domain,
                visibility="public",
                title=title,
                material_type="worksheet",
                license="CC-BY-4.0",
            )
            session.add(material)
            await session.flush()
            await search.index(session, material, "")
        await session.commit()
    async with node.sessions() as session:
        await purge(session, node, ria)
        await session.commit()
        connection = await session.connection()
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        dump = ""
        for name in names:
            if name.startswith("material_search"):
                rows = await connection.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608
                dump += repr(list(rows))
    # FTS5 stores a term after the prefix it shares with the one before ("q" +
    # "uokkaberri"): look for its middle.
    assert "okkaberr" not in dump.lower()
