"""Fresh databases for tests: an SQLite file, or a new PostgreSQL database.

Storage-touching tests run on both when ``STAFFROOM_TEST_POSTGRES_URL`` is set
(``.ci/run`` sets it); each database is created empty and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

POSTGRES_ENV = "STAFFROOM_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_postgres_database() -> str:
    admin = postgres_admin_url()
    assert admin, POSTGRES_ENV + " is not set"
    name = "staffroom_t_" + secrets.token_hex(6)
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
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
