"""Usage figures for NodeInfo (and the instance API's ``user_count``).

Students are not counted: a child's account is in no list another node can
read, and a count is the start of one (a school's NodeInfo saying "40 users"
when it has 8 teachers tells strangers it has children on it).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.nodeinfo import Usage
from storage.models import Account, Role
from storage.types import utcnow


async def usage(session: AsyncSession) -> Usage:
    now = utcnow()

    async def active_since(days: int | None) -> int:
        query = (
            select(func.count())
            .select_from(Account)
            .where(col(Account.disabled).is_(False), Account.role != Role.STUDENT)
        )
        if days is not None:
            query = query.where(col(Account.last_active_at) >= now - timedelta(days=days))
        return int((await session.exec(query)).one())

    return Usage(
        users_total=await active_since(None),
        active_month=await active_since(30),
        active_halfyear=await active_since(180),
        local_posts=0,  # no posts table yet: the content work fills this in
    )
