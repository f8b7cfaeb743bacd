"""Fresh databases for tests: an SQLite file, or a new PostgreSQL database.

Storage-touching tests run on both when ``STAFFROOM_TEST_POSTGRES_URL`` is set
(``.ci/run`` sets it); each database is created empty and dropped afterwards.

A test that needs a migrated database gets a copy of a template that the real
migrations built once per test process (:func:`fill_from_template`): an SQLite
backup or PostgreSQL's ``CREATE DATABASE ... TEMPLATE``. Running the fifteen
migrations for each of the suite's seven hundred such databases cost minutes;
the migrations themselves are proven on empty databases in
``tests/storage/test_migrations.py``.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import sqlite3
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from tests.support.aio import run_async

POSTGRES_ENV = "STAFFROOM_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_postgres_database(template: str | None = None) -> str:
    admin = postgres_admin_url()
    assert admin, POSTGRES_ENV + " is not set"
    name = "staffroom_t_" + secrets.token_hex(6)
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    return _with_database(admin, name)


async def drop_postgres_database(url: str) -> None:
    admin = postgres_admin_url()
    assert admin
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def new_database_url(kind: str, tmp_dir: Path) -> str:
    """A URL for an empty database of ``kind`` ("sqlite" or "postgres")."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_dir / ('db-' + secrets.token_hex(4) + '.sqlite')}"
    return asyncio.run(create_postgres_database())


def drop_database(url: str) -> None:
    if url.startswith("postgres"):
        asyncio.run(drop_postgres_database(url))


def database_kinds() -> list[str]:
    return ["sqlite", "postgres"]


_templates: dict[str, str] = {}
_template_lock = threading.Lock()


async def _migrate(raw_url: str) -> None:
    from staffroom.settings import normalize_database_url
    from storage import migrate
    from storage.engine import create_engine

    engine = create_engine(normalize_database_url(raw_url))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def _template(kind: str) -> str:
    """This process's migrated template of ``kind``: a file path or a database name."""
    with _template_lock:
        if kind in _templates:
            return _templates[kind]
        if kind == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="staffroom-template-"))
            url = f"sqlite:///{folder / 'template.sqlite'}"
            run_async(lambda: _migrate(url))
            _templates[kind] = str(folder / "template.sqlite")
        else:
            url = run_async(create_postgres_database)
            run_async(lambda: _migrate(url))
            atexit.register(drop_database, url)
            _templates[kind] = urlsplit(url).path.lstrip("/")
        return _templates[kind]


async def _is_empty_postgres(url: str) -> bool:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return not await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()


async def _recreate_from(url: str, template: str) -> None:
    admin = postgres_admin_url()
    assert admin
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()


def fill_from_template(raw_url: str) -> bool:
    """Make the still empty database at ``raw_url`` a copy of the migrated template;
    False (and nothing done) when it is not empty."""
    if raw_url.startswith("sqlite"):
        path = Path(raw_url.removeprefix("sqlite:///"))
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(_template("sqlite")) as source, sqlite3.connect(path) as target:
            source.backup(target)
        source.close()
        target.close()
        return True
    if not run_async(lambda: _is_empty_postgres(raw_url)):
        return False
    template = _template("postgres")
    run_async(lambda: _recreate_from(raw_url, template))
    return True
