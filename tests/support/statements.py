"""Watching the SQL a piece of code runs: for tests that count queries or stage races."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def selects_from(engine: Any, table: str) -> Iterator[list[str]]:
    """The SELECTs reading ``table`` that ``engine`` runs meanwhile, collected."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(statement)

    with before_each_statement(engine, record):
        yield seen


@contextmanager
def statements_of(engine: Any) -> Iterator[list[str]]:
    """Every statement ``engine`` runs meanwhile, collected."""
    seen: list[str] = []
    with before_each_statement(
        engine, lambda _conn, _cursor, statement, *_: seen.append(statement)
    ):
        yield seen


@contextmanager
def before_each_statement(engine: Any, hook: Callable[..., None]) -> Iterator[None]:
    """Call ``hook(conn, cursor, statement, parameters, context, executemany)`` before
    every statement ``engine`` (a sync engine, or a connection's) runs meanwhile."""
    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hook)
