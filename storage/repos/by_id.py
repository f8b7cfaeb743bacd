"""Rows of a page by id, in one query each: the authors, the posts a page names.

A page of posts, events or materials names other rows by id (authors,
organizers, the ``objects`` row behind each); reading them one by one is a
query per item. These read them all at once, keyed by id; an id with no row
is absent from the answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Actor, ContentObject


async def actors_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Actor]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.exec(select(Actor).where(col(Actor.id).in_(wanted)))
    return {a.id: a for a in rows.all() if a.id is not None}


async def objects_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, ContentObject]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.exec(select(ContentObject).where(col(ContentObject.id).in_(wanted)))
    return {o.id: o for o in rows.all() if o.id is not None}
