"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, TypeDecorator
from sqlalchemy.engine import Dialect

from storage.ids import new_id


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out.

    SQLite keeps no zone, so values come back naive there; this type makes both
    databases return the same thing and refuses naive input outright.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def id_column() -> Any:
    """A BIGINT primary key filled with a time-sortable id."""
    return Column(BigInteger, primary_key=True, autoincrement=False, default=new_id)


def fk_column(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    return Column(
        BigInteger, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index
    )


def key_column(target: str) -> Any:
    """A BIGINT primary key that is also a foreign key to ``target`` ("table.column"),
    deleted with it: a row that is one more side of another row (a material's or an
    event's typed side of its ``objects`` row, an account's settings), or part of
    such a key (an event's codes and reminders)."""
    return Column(
        BigInteger, ForeignKey(target, ondelete="CASCADE"), primary_key=True, autoincrement=False
    )


def time_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Column(UTCDateTime(), nullable=nullable, index=index)
