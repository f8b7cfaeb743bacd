"""What we know of other servers: which software each host runs, and until when.

A members-only community's posts may only go to servers that keep them for
members (see ``outbox/members_only.py``); a host's NodeInfo software name
tells us which those are. The answer is cached per host (``expires_at``),
so a fan-out never waits for NodeInfo, and refreshed by the domain layer
(``actors/peers.py``) when a member joins and before a members-only
community announces.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import time_column, utcnow


class PeerSoftware(SQLModel, table=True):
    __tablename__ = "peer_software"

    host: str = Field(primary_key=True, max_length=255)
    #: NodeInfo ``software.name``, lower-cased; "" when the host has none we could read.
    software: str = Field(default="", max_length=64)
    #: Whether the host keeps members-only posts for members (today: Staffroom).
    members_only: bool = False
    checked_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    expires_at: datetime = Field(default_factory=utcnow, sa_column=time_column(index=True))
