"""A change that lands while its debounced Update is being claimed is still told (both databases).

A poll's totals and a material's rating are recounted by the vote or review
that changes them, which keeps the due time a first change set; the worker
claims that time and sends the figures it reads. Here the change has
recounted but not committed when the worker claims. Afterwards either the
Update that went out carries the change, or another Update is due for it:
the last figures are never lost. (A poll's were, on PostgreSQL: the vote
wrote only the poll's object, so the claim on its state row did not wait,
and the vote kept a due time the claim had just cleared.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from actors.context import NodeContext
from content import poll_states, polls
from content.limits import POLL_LIMITS
from content.materials import ratings, reviews
from content.materials.drafts import MaterialDraft
from content.materials.files import StagedFiles
from content.materials.publishing import create_material
from content.posts import create_post
from storage.models import Activity, ContentObject, Material, PollState
from storage.types import utcnow
from tests.support.inprocess import in_process_node, person

# The worker's claim is given this long to show whether it waits for the open change.
CLAIM_GRACE = 0.5


@pytest.fixture
async def node(migrated_database_url: str, tmp_path: Path) -> AsyncIterator[NodeContext]:
    async with in_process_node(migrated_database_url, tmp_path / "data") as context:
        yield context


async def _last_update(node: NodeContext, object_ap_id: str) -> dict[str, Any] | None:
    async with node.sessions() as session:
        rows = await session.exec(
            select(Activity)
            .where(Activity.type == "Update", Activity.object_ap_id == object_ap_id)
            .order_by(col(Activity.published).desc(), col(Activity.id).desc())
        )
        found = rows.first()
        return found.body["object"] if found else None


async def _claim_during(
    node: NodeContext,
    change: Callable[[Any], Awaitable[None]],
    claim: Callable[[], Awaitable[bool]],
) -> None:
    """``change`` runs in a transaction left open while the worker's ``claim`` starts."""
    async with node.sessions() as session:
        await change(session)
        worker = asyncio.ensure_future(claim())
        await asyncio.wait({worker}, timeout=CLAIM_GRACE)
        await session.commit()
    await worker


async def test_a_vote_counted_during_the_totals_claim_is_told(node: NodeContext) -> None:
    alice, carol, dora = [await person(node, n) for n in ("alice", "carol", "dora")]
    async with node.sessions() as session:
        extra = polls.question_extra(
            ["Tuesday", "Thursday"],
            expires_in=3600,
            multiple=False,
            hide_totals=False,
            limits=POLL_LIMITS,
        )
        poll = await create_post(
            session,
            node,
            alice,
            content_text_or_html="Which day for the seminar?",
            visibility="public",
            object_type="Question",
            extra=extra,
        )
        await session.commit()
        poll_id = poll.id
        assert poll_id is not None
    async with node.sessions() as session:
        obj = await session.get(ContentObject, poll_id)
        assert obj is not None
        await polls.vote(session, carol, obj, [0], totals_window=timedelta(0))
        await session.commit()
        state = await session.get(PollState, poll_id)
        assert state is not None and state.update_due_at is not None
        due: datetime = state.update_due_at

    async def dora_votes(session: Any) -> None:
        obj = await session.get(ContentObject, poll_id)
        await polls.vote(session, dora, obj, [1], totals_window=timedelta(0))

    await _claim_during(node, dora_votes, lambda: poll_states._publish_one(node, poll_id, due))
    async with node.sessions() as session:
        state = await session.get(PollState, poll_id)
        assert state is not None
        owed_again = state.update_due_at is not None
    told = await _last_update(node, poll.ap_id)
    assert told is not None
    assert owed_again or [o["replies"]["totalItems"] for o in told["oneOf"]] == [1, 1]


async def test_a_review_counted_during_the_rating_claim_is_told(node: NodeContext) -> None:
    alice, vic, tess = [await person(node, n) for n in ("alice", "vic", "tess")]
    async with node.sessions() as session:
        view = await create_material(
            session,
            node,
            alice,
            MaterialDraft(title="Acids and bases", links=["https://example.org/lesson"]),
            StagedFiles(node.config),
        )
        await session.commit()
        material_id = view.material.object_id
        ap_id = (await session.get(ContentObject, material_id) or ContentObject()).ap_id
    async with node.sessions() as session:
        await reviews.write_review(session, node, vic, material_id, rating=2, text="")
        await session.commit()
        material = await session.get(Material, material_id)
        assert material is not None and material.rating_update_due_at is not None
        material.rating_update_due_at = utcnow() - timedelta(seconds=1)  # its time has come
        session.add(material)
        await session.commit()
        due = material.rating_update_due_at

    async def tess_reviews(session: Any) -> None:
        await reviews.write_review(session, node, tess, material_id, rating=4, text="")

    await _claim_during(node, tess_reviews, lambda: ratings._publish_one(node, material_id, due))
    async with node.sessions() as session:
        material = await session.get(Material, material_id)
        assert material is not None and material.rating_count == 2
        owed_again = material.rating_update_due_at is not None
    told = await _last_update(node, ap_id)
    assert told is not None
    assert owed_again or (told["ratingCount"], told["ratingAverage"]) == (2, 3.0)
