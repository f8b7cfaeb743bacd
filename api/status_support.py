"""What the status, timeline, media and poll routes share: finding a post, limits, errors.

:func:`readable_status` is the one way these routes look a post up by its
API id: a post that does not exist, is deleted, or that the viewer may not
read all answer the same ``404 Record not found``, so a followers-only
post's existence does not leak to strangers.

The domain's refusals (``ComposeError``, ``MediaError``, ``PollError``,
``PinError``, ``InvalidPostError``) carry safe messages; :func:`refused`
turns one into Mastodon's ``422 Validation failed: ...``.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from actors.context import NodeContext
from api.errors import ApiError
from content.timelines import readable
from storage.models import Actor, Announce, ContentObject

NOT_FOUND = "Record not found"
NOT_ALLOWED = "This action is not allowed"


def node_of(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


def path_id(request: Request, name: str = "id") -> int:
    """A numeric id from the path; anything else is a record that does not exist."""
    raw = str(request.path_params.get(name, ""))
    if not raw.isdigit() or len(raw) > 19:
        raise ApiError(404, NOT_FOUND)
    return int(raw)


def refused(exc: Exception) -> ApiError:
    reason = getattr(exc, "reason", None) or str(exc)
    return ApiError(422, f"Validation failed: {reason}")


async def readable_status(
    session: AsyncSession, status_id: int, viewer: Actor | None
) -> ContentObject:
    """The live post ``status_id`` if ``viewer`` may read it; else 404."""
    obj = await session.get(ContentObject, status_id)
    if obj is None or not await readable(session, obj, viewer):
        raise ApiError(404, NOT_FOUND)
    return obj


async def readable_item(
    session: AsyncSession, status_id: int, viewer: Actor | None
) -> ContentObject | Announce:
    """Like :func:`readable_status`, but a boost's id finds the boost (a reblog status)."""
    obj = await session.get(ContentObject, status_id)
    if obj is not None:
        return await readable_status(session, status_id, viewer)
    boost = await session.get(Announce, status_id)
    if boost is None:
        raise ApiError(404, NOT_FOUND)
    await readable_status(session, boost.object_id, viewer)
    return boost
