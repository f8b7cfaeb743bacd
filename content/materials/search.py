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

**Facets in the index.** Beside the words, each entry carries one token per
facet value the library filters by (subject, grade, type, license, language,
node, and "public"), made so that no stemmed word can look like one (see
:func:`facet_token`). A filter then narrows the search inside the full-text
index, where the intersection of posting lists is cheap, instead of in SQL
over rows: "grade 2, CC BY, school 3" among 13,000 matches of two words costs
a merge of sorted lists, not 13,000 row reads. The SQL query still checks
every condition on the few rows the index returns, so an entry written before
a facet existed (or a token collision) can never widen a result, only a
stale entry can narrow it until `staffroom materials reindex`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Material, MaterialGrade, MaterialSubject

_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
MAX_QUERY_WORDS = 12


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


FACET_PREFIX = "qqf"
_NOT_TOKEN = re.compile(r"[^a-z0-9]+")
# facet name → the letter its tokens carry (names as in LibraryQuery).
FACET_LETTERS = {
    "subject": "s",
    "grade": "g",
    "material_type": "t",
    "license": "l",
    "language": "n",
    "node": "d",
    "visibility": "v",
}


def facet_token(facet: str, value: str) -> str:
    """One token for a facet value: ASCII letters and digits only, so both FTS5's
    unicode61 and PostgreSQL's ``simple`` parser keep it whole; "qqf" starts no
    Russian or English stem. Distinct values may share a token (``cc-by`` and
    ``cc_by``): the SQL conditions decide, the token only narrows."""
    return f"{FACET_PREFIX}{FACET_LETTERS[facet]}{_NOT_TOKEN.sub('x', value.lower())}"


async def facet_tokens(session: AsyncSession, material: Material) -> list[str]:
    """Every facet token of ``material`` (its subject and grade rows must be flushed)."""
    subjects = await session.exec(
        select(MaterialSubject.code).where(col(MaterialSubject.material_id) == material.object_id)
    )
    grades = await session.exec(
        select(MaterialGrade.code).where(col(MaterialGrade.material_id) == material.object_id)
    )
    pairs = [("subject", code) for code in subjects.all()]
    pairs += [("grade", code) for code in grades.all()]
    pairs += [
        ("material_type", material.material_type),
        ("license", material.license),
        ("language", material.language or ""),
        ("node", material.domain),
        ("visibility", str(material.visibility)),
    ]
    return [facet_token(name, value) for name, value in pairs if value]


def document_text(material: Material, description_text: str) -> tuple[str, str]:
    """(title, body) to index: the title apart, so PostgreSQL can weigh it higher."""
    body = " ".join([material.summary, description_text, " ".join(material.tags)])
    return material.title, body


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


async def index(session: AsyncSession, material: Material, description_text: str) -> None:
    """Write (or rewrite) ``material``'s entry."""
    title, body = document_text(material, description_text)
    facets = " ".join(await facet_tokens(session, material))
    await remove(session, material.object_id)
    connection = await session.connection()
    if _is_sqlite(session):
        await connection.execute(
            text(SQLITE_INSERT), sqlite_row(material.object_id, title, body, facets)
        )
        return
    await connection.execute(
        text(POSTGRES_INSERT),
        {"id": material.object_id, "title": title, "body": body, "facets": facets},
    )


SQLITE_INSERT = "INSERT INTO material_search (rowid, body) VALUES (:id, :body)"
POSTGRES_INSERT = (
    "INSERT INTO material_search (material_id, document) VALUES (:id, "
    "setweight(to_tsvector('russian', :title), 'A') || "
    "setweight(to_tsvector('russian', :body), 'B') || "
    "to_tsvector('simple', :facets))"
)


def sqlite_row(material_id: int, title: str, body: str, facets: str) -> dict[str, Any]:
    """The parameters of :data:`SQLITE_INSERT` (shared with the benchmark's bulk load)."""
    return {"id": material_id, "body": f"{' '.join(stems(f'{title} {body}'))} {facets}"}


async def remove(session: AsyncSession, material_id: int) -> None:
    statement = (
        "DELETE FROM material_search WHERE rowid = :id"
        if _is_sqlite(session)
        else "DELETE FROM material_search WHERE material_id = :id"
    )
    connection = await session.connection()
    await connection.execute(text(statement), {"id": material_id})


async def forget_removed(session: AsyncSession) -> None:
    """Drop what removed entries left in the index (an erasure: nothing of it may stay).

    FTS5 deletes by writing a tombstone beside the old segment, whose terms stay
    readable in ``material_search_data`` until the segments merge; ``optimize``
    merges them now (the whole index is rewritten: for rare erasures, not edits).
    PostgreSQL's rows are gone with their DELETE.
    """
    if _is_sqlite(session):
        connection = await session.connection()
        await connection.execute(
            text("INSERT INTO material_search(material_search) VALUES('optimize')")
        )


async def clear(session: AsyncSession) -> None:
    connection = await session.connection()
    await connection.execute(text("DELETE FROM material_search"))


def fts5_query(query: str, facets: Sequence[str] = ()) -> str | None:
    """The FTS5 MATCH expression: every stem of the user's words and every facet
    token, quoted; None if there is neither."""
    found = list(dict.fromkeys(stems(query)))[:MAX_QUERY_WORDS] + list(facets)
    return " ".join(f'"{s}"' for s in found) if found else None


@dataclass(frozen=True)
class Match:
    """A full-text condition: SQL selecting matching ids, and its parameters."""

    sql: str
    params: dict[str, str]


def match(dialect: str, query: str | None, facets: Sequence[str]) -> Match | None:
    """The ids matching the words of ``query`` and every facet token; None when
    there is nothing to match on. ``query`` with words but no stem left (only
    punctuation, say) matches nothing: ``Match`` of an empty set."""
    has_words = bool(query and query.strip())
    if dialect == "sqlite":
        if has_words and not stems(query or ""):
            return Match("SELECT rowid FROM material_search WHERE 0", {})
        expression = fts5_query(query or "", facets)
        if expression is None:
            return None
        return Match(
            "SELECT rowid FROM material_search WHERE material_search MATCH :q", {"q": expression}
        )
    terms = " ".join(words(query or "")[:MAX_QUERY_WORDS])
    if has_words and not terms:
        return Match("SELECT material_id FROM material_search WHERE false", {})
    parts, params = [], {}
    if terms:
        parts.append("plainto_tsquery('russian', :q)")
        params["q"] = terms
    if facets:
        parts.append("to_tsquery('simple', :facets)")
        params["facets"] = " & ".join(facets)
    if not parts:
        return None
    condition = " && ".join(parts)  # constant SQL; the values are bound
    return Match(f"SELECT material_id FROM material_search WHERE document @@ ({condition})", params)  # noqa: S608
