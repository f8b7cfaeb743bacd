"""Fixtures every test package shares: databases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from staffroom.settings import normalize_database_url
from storage.engine import SessionMaker, create_engine, create_sessionmaker
from tests.support.databases import (
    POSTGRES_ENV,
    database_kinds,
    drop_database,
    fill_from_template,
    new_database_url,
    postgres_admin_url,
)


@pytest.fixture(params=database_kinds())
def db_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind == "postgres" and not postgres_admin_url():
        pytest.skip(f"PostgreSQL not configured ({POSTGRES_ENV} is unset)")
    return kind


@pytest.fixture
def empty_database_url(db_kind: str, tmp_path: Path) -> Iterator[str]:
    url = new_database_url(db_kind, tmp_path)
    try:
        yield normalize_database_url(url)
    finally:
        drop_database(url)


@pytest.fixture
def migrated_database_url(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """A database at the newest migration: a copy of this process's migrated template."""
    url = new_database_url(db_kind, tmp_path)
    fill_from_template(url)
    try:
        yield normalize_database_url(url)
    finally:
        drop_database(url)


@pytest.fixture
async def sessions(migrated_database_url: str) -> AsyncIterator[SessionMaker]:
    """A freshly migrated database on each backend."""
    engine = create_engine(migrated_database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module", params=database_kinds())
def module_db_kind(request: pytest.FixtureRequest) -> str:
    """Like ``db_kind``, for module-scoped nodes (one node per backend per module)."""
    kind: str = request.param
    if kind == "postgres" and not postgres_admin_url():
        pytest.skip(f"PostgreSQL not configured ({POSTGRES_ENV} is unset)")
    return kind
