"""Whether this node takes sign-ups from anyone, or only through invite links.

The admin's switch (``registrations.open`` in :mod:`actors.node_settings`)
wins; left unset, the node follows ``STAFFROOM_OPEN_REGISTRATIONS``. NodeInfo
and the sign-up page both ask here, so what the node advertises is what it does.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from actors import node_settings
from actors.config import NodeConfig

SETTING = "registrations.open"


async def is_open(session: AsyncSession, config: NodeConfig) -> bool:
    chosen = await node_settings.read(session, SETTING)
    return config.open_registrations if chosen is None else bool(chosen)
