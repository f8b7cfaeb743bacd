"""THE table: activity type → handler.

Adding a type is one line here and one module in ``inbox/handlers/``. Types
not in the table fall to :func:`ignore`: accepted, recorded, never a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from actors.context import NodeContext
from storage.models import InboxItem

Handler = Callable[[NodeContext, InboxItem], Awaitable[None]]


async def ignore(_node: NodeContext, _item: InboxItem) -> None:
    """Default for types we do not act on yet: the row is kept as processed."""


HANDLERS: dict[str, Handler] = {
    # Filled in by the federation-flows work: Follow, Accept, Reject, Undo,
    # Create, Update, Delete, Like, Announce, Block, Flag, Add, Remove.
}


def handler_for(activity_type: str) -> Handler:
    return HANDLERS.get(activity_type, ignore)


def describe(activity: dict[str, Any]) -> str:
    return f"{activity.get('type')} {activity.get('id')}"
