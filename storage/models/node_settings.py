"""What the node's admin changes at run time, beside the settings read at start.

``staffroom.settings`` holds what an operator sets before the node starts
(domain, database, limits); this table holds what an admin changes from the
pages, the CLI or the admin API while the node runs (the node's name and
description, registration and federation switches, defaults for new
accounts). One row a setting, its value as JSON, so that a new switch needs
no migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from storage.types import time_column, utcnow


class NodeSetting(SQLModel, table=True):
    __tablename__ = "node_settings"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
