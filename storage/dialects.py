"""What differs between the node's two databases, asked in one place.

SQLite (the default) has one writer at a time, so a read-modify-write there
cannot interleave with another; PostgreSQL runs writers side by side under
READ COMMITTED, so the same code takes row locks first. Both speak
``INSERT ... ON CONFLICT``, each through its own SQLAlchemy construct.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

POSTGRESQL = "postgresql"

_Query = TypeVar("_Query", bound=Select[Any])


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == POSTGRESQL


def insert_for(dialect_name: str) -> Any:
    """The ``insert`` construct with ``on_conflict_do_*`` for this dialect."""
    return postgresql.insert if dialect_name == POSTGRESQL else sqlite.insert


def session_insert(session: AsyncSession) -> Any:
    """:func:`insert_for` the database ``session`` is bound to."""
    return insert_for(session.get_bind().dialect.name)


def locked(session: AsyncSession, query: _Query, *, skip_locked: bool = False) -> _Query:
    """``query`` with ``FOR UPDATE`` on PostgreSQL (``SKIP LOCKED`` to claim work).

    On SQLite the query is returned as it is: the transaction that writes
    holds the database's one write lock until it commits.
    """
    if is_postgres(session):
        return query.with_for_update(skip_locked=skip_locked)
    return query
