"""Events from other servers: their rows beside the stored ``Event`` object.

The object is stored (and edited) as any post is; this keeps its
:class:`EventRow` in step, read from the object's ``extra``
(:func:`content.events.as2.row_fields`). An event without a ``startTime``
stays a post and gets no row. The organizer is the object's author: a
person, or a ``Group`` (Mobilizon's group events).
"""

from __future__ import annotations

from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from content.events.as2 import codes_of, row_fields
from content.events.rules import KINDS
from federation.origin import host_of
from storage.models import ContentObject, EventCode, EventRow
from storage.types import utcnow


async def sync_remote(session: AsyncSession, obj: ContentObject) -> EventRow | None:
    """Create or refresh the row of a remote ``Event`` object; None if it is no event."""
    if obj.local or obj.deleted_at is not None or obj.id is None or obj.type != "Event":
        return None
    fields = row_fields(obj, KINDS)
    if fields is None:
        return None
    row = await session.get(EventRow, obj.id)
    if row is None:
        row = EventRow(
            object_id=obj.id,
            organizer_id=obj.author_id,
            local=False,
            domain=host_of(obj.ap_id) or "",
            visibility=obj.visibility,
            **fields,
        )
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        row.visibility = obj.visibility
        row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    await session.exec(delete(EventCode).where(col(EventCode.event_id) == obj.id))
    for scheme, term in (("subject", "schoolSubject"), ("grade", "grade")):
        for code in dict.fromkeys(codes_of(obj, term)):
            session.add(EventCode(event_id=obj.id, scheme=scheme, code=code))
    await session.flush()
    return row
