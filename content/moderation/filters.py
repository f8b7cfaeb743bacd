"""Mastodon v2 keyword filters of one account: stored, and matched against posts.

A filter has a title, the contexts it applies in (home, notifications,
public, thread, account), an action (``warn``: shown behind a warning;
``hide``: left out) and keywords (whole word or anywhere). Only its owner
ever sees or changes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.sanitize import plain_text
from storage.models import ContentObject, Filter, FilterKeyword
from storage.types import utcnow

CONTEXTS = frozenset({"home", "notifications", "public", "thread", "account"})
ACTIONS = frozenset({"warn", "hide"})
MAX_FILTERS = 100
MAX_KEYWORDS = 100


class FilterError(ValueError):
    """A filter the API refuses (422); the message is safe to show."""


@dataclass(frozen=True)
class KeywordDraft:
    keyword: str
    whole_word: bool = True


def check(title: str, contexts: list[str], action: str) -> None:
    if not title.strip() or len(title) > 255:
        raise FilterError("Title can't be blank (and at most 255 characters)")
    if not contexts or any(c not in CONTEXTS for c in contexts):
        raise FilterError(f"Context must be some of {', '.join(sorted(CONTEXTS))}")
    if action not in ACTIONS:
        raise FilterError("filter_action must be warn or hide")


def expiry(expires_in: int | None) -> datetime | None:
    return utcnow() + timedelta(seconds=expires_in) if expires_in else None


async def owned(session: AsyncSession, actor_id: int, filter_id: int) -> Filter | None:
    row = await session.get(Filter, filter_id)
    return row if row is not None and row.actor_id == actor_id else None


async def of(session: AsyncSession, actor_id: int) -> list[Filter]:
    rows = await session.exec(
        select(Filter).where(Filter.actor_id == actor_id).order_by(col(Filter.id))
    )
    return list(rows.all())


async def keywords_of(
    session: AsyncSession, filter_ids: list[int]
) -> dict[int, list[FilterKeyword]]:
    found: dict[int, list[FilterKeyword]] = {i: [] for i in filter_ids}
    if filter_ids:
        rows = await session.exec(
            select(FilterKeyword)
            .where(col(FilterKeyword.filter_id).in_(filter_ids))
            .order_by(col(FilterKeyword.id))
        )
        for row in rows.all():
            found[row.filter_id].append(row)
    return found


async def create(
    session: AsyncSession,
    actor_id: int,
    *,
    title: str,
    contexts: list[str],
    action: str,
    expires_in: int | None,
    keywords: list[KeywordDraft],
) -> Filter:
    check(title, contexts, action)
    if len(await of(session, actor_id)) >= MAX_FILTERS:
        raise FilterError(f"at most {MAX_FILTERS} filters")
    row = Filter(
        actor_id=actor_id,
        title=title.strip(),
        contexts=sorted(set(contexts)),
        action=action,
        expires_at=expiry(expires_in),
    )
    session.add(row)
    await session.flush()
    for draft in keywords[:MAX_KEYWORDS]:
        await add_keyword(session, row, draft)
    return row


async def add_keyword(session: AsyncSession, row: Filter, draft: KeywordDraft) -> FilterKeyword:
    word = draft.keyword.strip()
    if not word or len(word) > 255:
        raise FilterError("Keyword can't be blank (and at most 255 characters)")
    assert row.id is not None
    kw = FilterKeyword(filter_id=row.id, keyword=word, whole_word=draft.whole_word)
    session.add(kw)
    await session.flush()
    return kw


async def remove(session: AsyncSession, row: Filter) -> None:
    await session.exec(delete(FilterKeyword).where(col(FilterKeyword.filter_id) == row.id))
    await session.delete(row)
    await session.flush()


def _matches(text: str, kw: FilterKeyword) -> bool:
    if kw.whole_word:
        return re.search(rf"(?<!\w){re.escape(kw.keyword)}(?!\w)", text, re.IGNORECASE) is not None
    return kw.keyword.lower() in text.lower()


async def matches_for(
    session: AsyncSession, actor_id: int, objects: list[ContentObject]
) -> dict[int, list[tuple[Filter, list[str]]]]:
    """For each post, the viewer's live filters it matches and the keywords that did."""
    filters = [
        f for f in await of(session, actor_id) if f.expires_at is None or f.expires_at > utcnow()
    ]
    if not filters or not objects:
        return {}
    words = await keywords_of(session, [f.id for f in filters if f.id is not None])
    out: dict[int, list[tuple[Filter, list[str]]]] = {}
    for obj in objects:
        text = " ".join(filter(None, [plain_text(obj.content), obj.summary or "", obj.name or ""]))
        for f in filters:
            hit = [kw.keyword for kw in words.get(f.id or 0, []) if _matches(text, kw)]
            if hit and obj.id is not None:
                out.setdefault(obj.id, []).append((f, hit))
    return out
