"""Downloads, counted once per viewer per day.

A viewer is a signed-in account (``actor:<id>``) or, for anyone else, a
keyed hash of the client's address: the counter needs to tell visitors
apart, not to know who they are, and a hash under the node's secret keeps
addresses out of the database. One row per material, viewer and UTC day
(a unique key); the counter moves only when that row is new, in the same
statement's transaction, so a reload or a burst of requests counts once.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import session_insert
from storage.ids import new_id
from storage.models import Material, MaterialDownload


def viewer_key(actor_id: int | None, client: str | None, secret: str) -> str:
    if actor_id is not None:
        return f"actor:{actor_id}"
    digest = hmac.new(secret.encode(), (client or "").encode(), hashlib.sha256).hexdigest()
    return f"addr:{digest[:40]}"


async def count_download(session: AsyncSession, material_id: int, key: str, day: date) -> bool:
    """Record a download; True when it counted (the first of this viewer today)."""
    insert = session_insert(session)
    statement = (
        insert(MaterialDownload)
        .values(id=new_id(), material_id=material_id, viewer_key=key, day=day)
        .on_conflict_do_nothing(index_elements=["material_id", "viewer_key", "day"])
    )
    result = await session.exec(statement)
    if result.rowcount != 1:
        return False
    await session.exec(
        update(Material)
        .where(col(Material.object_id) == material_id)
        .values(downloads_count=Material.downloads_count + 1)
        .execution_options(synchronize_session=False)
    )
    return True
