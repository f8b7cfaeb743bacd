"""An erased reviewer's reviews leave the ratings they were counted in (both databases).

The figures checked are the ones people see: the ``rating`` of the Mastodon
API's material entity (what an app shows) and the library's "best rated"
order (what the library page lists), after the erasure job has run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from actors.context import NodeContext
from actors.local import account_by_name
from api.pagination import PageParams
from content.account_data import erasure, worker
from content.materials import library, reviews
from content.materials.drafts import MaterialDraft
from content.materials.files import StagedFiles
from content.materials.publishing import create_material
from storage.models import Actor, Material
from tests.support.inprocess import PASSWORD, in_process_node, person, shown_rating


@pytest.fixture
async def node(migrated_database_url: str, tmp_path: Path) -> AsyncIterator[NodeContext]:
    async with in_process_node(migrated_database_url, tmp_path / "data") as context:
        yield context


async def material(node: NodeContext, author: Actor, title: str) -> int:
    async with node.sessions() as session:
        view = await create_material(
            session,
            node,
            author,
            MaterialDraft(title=title, links=["https://example.org/lesson"]),
            StagedFiles(node.config),
        )
        await session.commit()
        return view.material.object_id


async def review(node: NodeContext, reviewer: Actor, material_id: int, rating: int) -> None:
    async with node.sessions() as session:
        await reviews.write_review(session, node, reviewer, material_id, rating=rating, text="")
        await session.commit()


async def best_rated(node: NodeContext) -> list[int]:
    """The library page's "best rated" order, for a visitor."""
    async with node.sessions() as session:
        found = await library.find(session, None, library.LibraryQuery(sort="rating"), PageParams())
        return [m.object_id for m in found]


async def test_an_erased_reviewers_ratings_are_taken_out_of_the_figures(
    node: NodeContext,
) -> None:
    alice = await person(node, "alice")
    vic, tess = await person(node, "vic"), await person(node, "tess")
    acids = await material(node, alice, "Acids and bases")
    cells = await material(node, alice, "Cell division")
    own = await material(node, vic, "Vic's own worksheet")
    await review(node, vic, acids, 1)
    await review(node, tess, acids, 5)
    await review(node, tess, cells, 4)
    await review(node, vic, cells, 2)
    await review(node, tess, own, 5)
    assert await shown_rating(node, acids) == {"average": 3.0, "count": 2}
    assert await shown_rating(node, cells) == {"average": 3.0, "count": 2}
    async with node.sessions() as session:
        for material_id in (acids, cells):
            row = await session.get(Material, material_id)
            assert row is not None
            row.rating_update_due_at = None  # the Updates for these figures went out
            session.add(row)
        found = await account_by_name(session, "vic")
        assert found is not None
        await erasure.request(session, *found, password=PASSWORD)
        await session.commit()

    assert await worker.run_until_idle(node) == 1
    assert await shown_rating(node, acids) == {"average": 5.0, "count": 1}
    assert await shown_rating(node, cells) == {"average": 4.0, "count": 1}
    assert await best_rated(node) == [acids, cells]  # vic's own material went with vic
    async with node.sessions() as session:
        for material_id in (acids, cells):
            row = await session.get(Material, material_id)
            assert row is not None
            # The new figures are owed to the nodes that hold the material.
            assert row.rating_update_due_at is not None
