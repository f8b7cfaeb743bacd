"""A node in-process (no HTTP) over a fresh migrated database, and its people.

For specs of domain jobs that need a whole :class:`NodeContext` (settings,
sessions, the outbox) but no server: account erasure, community handover,
ratings. A remote actor it needs is a stored row whose inbox is never
reached; the delivery rows are what a test checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from actors.context import NodeContext
from actors.local import create_person
from api.entities.material import material_entities
from content.materials.model import load_view
from staffroom.app import node_context
from staffroom.settings import load_settings
from storage.models import Actor, ContentObject, Role
from tests.support.node import free_port

PASSWORD = "correct horse battery"


@asynccontextmanager
async def in_process_node(database_url: str, data_dir: Path) -> AsyncIterator[NodeContext]:
    settings = load_settings(
        env={
            "STAFFROOM_DOMAIN": f"127.0.0.1:{free_port()}",
            "STAFFROOM_DATA_DIR": str(data_dir),
            "STAFFROOM_DATABASE_URL": database_url,
            "STAFFROOM_ALLOW_HTTP": "true",
            "STAFFROOM_ALLOW_PRIVATE_ADDRESSES": "true",
        }
    )
    async with node_context(settings) as context:
        yield context


async def person(node: NodeContext, name: str, role: Role = Role.TEACHER) -> Actor:
    """A local account (password :data:`PASSWORD`) and its actor."""
    async with node.sessions() as session:
        _account, actor = await create_person(
            session, node.config, name, role=role, password=PASSWORD
        )
        await session.commit()
        return actor


async def shown_rating(node: NodeContext, material_id: int) -> dict[str, Any]:
    """The ``rating`` a Mastodon app is given for the material."""
    async with node.sessions() as session:
        view = await load_view(session, material_id)
        obj = await session.get(ContentObject, material_id)
        assert view is not None and obj is not None
        author = await session.get(Actor, view.material.author_id)
        assert author is not None
        [entity] = await material_entities(
            session, node, [view], {obj.id: obj}, {author.id: author}
        )
        rating: dict[str, Any] = entity["rating"]
        return rating
