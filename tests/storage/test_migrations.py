"""Migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage import migrate
from storage.engine import create_engine


async def test_a_new_database_is_behind_until_migrated(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        assert await migrate.pending(engine)
        await migrate.upgrade(engine)
        assert not await migrate.pending(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


async def test_migrated_schema_equals_the_models(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "include_name": migrate.include_name}
                    ),
                    SQLModel.metadata,
                )
            )
        assert diff == []
    finally:
        await engine.dispose()


async def test_downgrade_to_base_and_back(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await migrate.upgrade(engine)
        await migrate.downgrade(engine, "base")
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade(engine)
        assert not await migrate.pending(engine)
    finally:
        await engine.dispose()
