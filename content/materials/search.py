"""Full-text search over a material's title, description and tags, on both backends.

**PostgreSQL**: ``material_search.document`` is a ``tsvector`` made with the
``russian`` configuration (the title weighted A, the rest B) under a GIN
index; PostgreSQL's ``russian`` configuration stems Russian words with the
Russian Snowball stemmer and ASCII words with the English one, so one
configuration covers the two languages teachers here write in. Queries are
``plainto_tsquery('russian', q)``: every word must match, stemmed the same way.

**SQLite**: FTS5 has no Russian stemmer (only Porter, English), so the words
are stemmed here, in Python, with the same Snowball algorithms
(``snowballstemmer``: Russian for Cyrillic words, English for Latin ones)
and the FTS5 table indexes the stems; a query is stemmed the same way and
every stem must match. The letter yo is folded to ie first, as Russian readers do.

Either way the index is written in the material's own transaction, and the
search table is joined to ``materials``, so an entry whose material is gone
can never be found.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Material

_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
MAX_QUERY_WORDS = 12
CONFIG = "russian"


@cache
def _stemmer(language: str) -> Any:
    import snowballstemmer  # loaded by the first search or index, not at start

    return snowballstemmer.stemmer(language)


def words(value: str) -> list[str]:
    return _WORD.findall(value.lower().replace("ё", "е"))  # noqa: RUF001


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """One word's stem (cached: a library's vocabulary repeats, and Snowball in Python is slow)."""
    if _CYRILLIC.search(word):
        return str(_stemmer("russian").stemWord(word))
    if word.isascii() and word.isalpha():
        return str(_stemmer("english").stemWord(word))
    return word


def stems(value: str) -> list[str]:
    return [stem(word) for word in words(value)]


def document_text(material: Material, description_text: str) -> tuple[str, str]:
    """(title, body) to index: the title apart, so PostgreSQL can weigh it higher."""
    body = " ".join([material.summary, description_text, " ".join(material.tags)])
    return material.title, body


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


async def index(session: AsyncSession, material: Material, description_text: str) -> None:
    """Write (or rewrite) ``material``'s entry."""
    title, body = document_text(material, description_text)
    await remove(session, material.object_id)
    connection = await session.connection()
    if _is_sqlite(session):
        await connection.execute(
            text("INSERT INTO material_search (rowid, body) VALUES (:id, :body)"),
            {"id": material.object_id, "body": " ".join(stems(f"{title} {body}"))},
        )
        return
    await connection.execute(
        text(
            "INSERT INTO material_search (material_id, document) VALUES (:id, "
            "setweight(to_tsvector(CAST(:config AS regconfig), :title), 'A') || "
            "setweight(to_tsvector(CAST(:config AS regconfig), :body), 'B'))"
        ),
        {"id": material.object_id, "config": CONFIG, "title": title, "body": body},
    )


async def remove(session: AsyncSession, material_id: int) -> None:
    statement = (
        "DELETE FROM material_search WHERE rowid = :id"
        if _is_sqlite(session)
        else "DELETE FROM material_search WHERE material_id = :id"
    )
    connection = await session.connection()
    await connection.execute(text(statement), {"id": material_id})


async def clear(session: AsyncSession) -> None:
    connection = await session.connection()
    await connection.execute(text("DELETE FROM material_search"))


def fts5_query(query: str) -> str | None:
    """The FTS5 MATCH expression for a user's words: every stem, quoted; None if no word."""
    found = list(dict.fromkeys(stems(query)))[:MAX_QUERY_WORDS]
    return " ".join(f'"{s}"' for s in found) if found else None


def matching_ids_sql(dialect: str) -> str:
    """SQL selecting the ids of materials matching the bound ``:q`` (see :func:`query_param`)."""
    if dialect == "sqlite":
        return "SELECT rowid FROM material_search WHERE material_search MATCH :q"
    return (
        "SELECT material_id FROM material_search WHERE document @@ plainto_tsquery('russian', :q)"
    )


def query_param(dialect: str, query: str) -> str | None:
    """What to bind as ``:q``; None when the words leave nothing to search for."""
    if dialect == "sqlite":
        return fts5_query(query)
    return " ".join(words(query)[:MAX_QUERY_WORDS]) or None
