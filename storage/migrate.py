"""Alembic migrations, run programmatically on our async engine.

``staffroom migrate`` upgrades to head; ``serve`` calls :func:`pending` first and
refuses to start on a database that is behind, naming the command to run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models.materials import SEARCH_TABLE

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def include_name(name: str | None, type_: str, _parent: Any) -> bool:
    """Leave out of model comparisons what the models cannot describe.

    The materials' full-text table is an FTS5 virtual table on SQLite (with its
    shadow tables ``material_search_data``, ``_idx``...) and a ``tsvector``
    table on PostgreSQL; the migration makes it, the models do not know it.
    """
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLE))


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def pending(engine: AsyncEngine) -> bool:
    """True when the database is not at the newest migration."""
    return await current_revision(engine) != head_revision()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)
