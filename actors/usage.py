"""Usage figures for NodeInfo."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.nodeinfo import Usage
from storage.models import Account
from storage.types import utcnow


async def usage(session: AsyncSession) -> Usage:
    now = utcnow()

    async def active_since(days: int | None) -> int:
        query = select(func.count()).select_from(Account).where(col(Account.disabled).is_(False))
        if days is not None:
            query = query.where(col(Account.last_active_at) >= now - timedelta(days=days))
        return int((await session.exec(query)).one())

    return Usage(
        users_total=await active_since(None),
        active_month=await active_since(30),
        active_halfyear=await active_since(180),
        local_posts=0,  # no posts table yet: the content work fills this in
    )
