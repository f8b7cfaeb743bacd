"""Collections of materials: named, ordered, curated by a teacher, followable across nodes.

A collection is an ``OrderedCollection`` on the wire with its own id (ours:
``/users/NAME/material-collections/ID``); a remote one we know of (followed,
or looked up) is a row with ``local`` False. Items are object ids in order
(``position``); an item may be a material of any node. A follow of a
collection is its own row (``pending`` → ``accepted``), apart from the
follows of people: following a collection is not following its curator.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, time_column, utcnow


class MaterialCollection(SQLModel, table=True):
    __tablename__ = "material_collections"

    id: int | None = Field(default=None, sa_column=id_column())
    ap_id: str = Field(max_length=2048, unique=True)
    owner_id: int = Field(sa_column=fk_column("actors.id"))
    local: bool = False
    name: str = Field(max_length=255)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # public or unlisted (a collection is a shelf to share; private ones are not offered).
    visibility: str = Field(default="public", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class MaterialCollectionItem(SQLModel, table=True):
    __tablename__ = "material_collection_items"
    __table_args__ = (UniqueConstraint("collection_id", "object_ap_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    collection_id: int = Field(sa_column=fk_column("material_collections.id"))
    object_ap_id: str = Field(max_length=2048)
    position: int = 0
    added_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class MaterialCollectionFollow(SQLModel, table=True):
    __tablename__ = "material_collection_follows"
    __table_args__ = (UniqueConstraint("collection_id", "follower_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    collection_id: int = Field(sa_column=fk_column("material_collections.id"))
    follower_id: int = Field(sa_column=fk_column("actors.id"))
    # The Follow activity's id (ours when a local actor follows a remote collection).
    activity_ap_id: str = Field(max_length=2048, index=True)
    state: str = Field(default="pending", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
