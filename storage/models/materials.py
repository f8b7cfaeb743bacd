"""Teaching materials: the typed, searchable side of an ``Article`` in ``objects``.

A material *is* a post (its row in ``objects``, type ``Article``, holds the
document other servers read, its addressing and visibility, and is a status
in Mastodon apps); :class:`Material` holds what the library filters, sorts
and shows, keyed by that object's id, for local and remote materials alike.

* :class:`MaterialFile`: a file (``kind`` "file") or a link ("link"), in order.
  A local file is stored under the media directory as ``file_name`` and
  served at a URL with the unguessable ``access_key``; a remote one keeps
  its origin's ``url`` and, when the node mirrors, moves ``mirror_state``
  pending → mirrored | failed (retried with backoff until ``failed``).
* :class:`MaterialSubject`, :class:`MaterialGrade`: short codes, one row each,
  so that "biology, grade 6" is two index lookups.
* :class:`MaterialReview`: one per reviewer per material (unique), its Note's id.
* :class:`MaterialDownload`: one row per material, viewer and UTC day, so a
  download is counted once per viewer per day.

Rating state of a local material: ``rating_count``/``rating_sum`` are
recounted from the reviews; ``rating_update_due_at`` set means an Update
with the new figures is owed, not before that time (the debounce; see
:mod:`content.materials.ratings`). A remote material's figures are what its
node last federated.

Full-text search lives outside the models (``material_search``): an FTS5
table on SQLite, a ``tsvector`` table with a GIN index on PostgreSQL, made by
the migration and kept by :mod:`content.materials.search`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, Date, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import fk_column, id_column, key_column, time_column, utcnow

#: The search table the migration makes per backend; the models cannot describe it.
SEARCH_TABLE = "material_search"


class Material(SQLModel, table=True):
    __tablename__ = "materials"
    __table_args__ = (
        # The library's newest-first pages walk this index and stop at the page's end.
        Index("ix_materials_visibility_object_id", "visibility", "object_id"),
        # The sorted pages walk these in order and test each id against the words'
        # matches; with the id in the index (it is not SQLite's rowid) no row is
        # read until one passes.
        Index(
            "ix_materials_visibility_rating_id",
            "visibility",
            "rating_average",
            "rating_count",
            "object_id",
        ),
        Index("ix_materials_visibility_downloads_id", "visibility", "downloads_count", "object_id"),
        # A signed-in viewer's private half: the followers-only materials of their followees.
        Index("ix_materials_author_id_visibility", "author_id", "visibility"),
    )

    object_id: int = Field(sa_column=key_column("objects.id"))
    author_id: int = Field(sa_column=fk_column("actors.id"))
    local: bool = Field(default=False, index=True)
    # The node it comes from (host[:port]), for the library's "node" filter.
    domain: str = Field(max_length=255, index=True)
    visibility: str = Field(max_length=16)
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    description_html: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The Markdown as written (ours), or as its node sent it in ``source``.
    description_source: str | None = Field(default=None, sa_column=Column(Text))
    material_type: str = Field(max_length=32, index=True)
    license: str = Field(max_length=32, index=True)
    language: str | None = Field(default=None, max_length=16, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    preview_url: str | None = Field(default=None, max_length=2048)
    # Our stored preview image (local materials), a name inside the media directory.
    preview_name: str | None = Field(default=None, max_length=255)
    published: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    rating_count: int = 0
    rating_sum: int = 0
    rating_average: float | None = None
    downloads_count: int = 0
    # A local material owes an Update with new rating figures from this time on.
    rating_update_due_at: datetime | None = Field(
        default=None, sa_column=time_column(nullable=True, index=True)
    )


class MaterialFile(SQLModel, table=True):
    __tablename__ = "material_files"

    id: int | None = Field(default=None, sa_column=id_column())
    material_id: int = Field(sa_column=fk_column("materials.object_id"))
    position: int = 0
    kind: str = Field(default="file", max_length=8)
    name: str = Field(max_length=255)
    media_type: str | None = Field(default=None, max_length=255)
    size: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # "SHA-256=<base64>" of the bytes, as FEDERATION.md documents.
    digest: str | None = Field(default=None, max_length=100)
    url: str = Field(max_length=2048)
    # Our own copy: a local upload, or a mirrored remote file.
    file_name: str | None = Field(default=None, max_length=255)
    access_key: str | None = Field(default=None, max_length=64, unique=True)
    # None (nothing to mirror) | pending | mirrored | failed.
    mirror_state: str | None = Field(default=None, max_length=16, index=True)
    mirror_attempts: int = 0
    mirror_next_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    mirror_error: str | None = Field(default=None, sa_column=Column(Text))


class MaterialSubject(SQLModel, table=True):
    __tablename__ = "material_subjects"

    material_id: int = Field(sa_column=key_column("materials.object_id"))
    code: str = Field(primary_key=True, max_length=32, index=True)


class MaterialGrade(SQLModel, table=True):
    __tablename__ = "material_grades"

    material_id: int = Field(sa_column=key_column("materials.object_id"))
    code: str = Field(primary_key=True, max_length=16, index=True)


class MaterialReview(SQLModel, table=True):
    __tablename__ = "material_reviews"
    __table_args__ = (UniqueConstraint("material_id", "reviewer_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    material_id: int = Field(sa_column=fk_column("materials.object_id"))
    reviewer_id: int = Field(sa_column=fk_column("actors.id"))
    rating: int
    text_html: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The review's Note (its id on the wire, its row in ``objects``).
    ap_id: str = Field(max_length=2048, unique=True)
    note_id: int | None = Field(default=None, sa_column=fk_column("objects.id", nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column())


class MaterialDownload(SQLModel, table=True):
    __tablename__ = "material_downloads"
    __table_args__ = (UniqueConstraint("material_id", "viewer_key", "day"),)

    id: int | None = Field(default=None, sa_column=id_column())
    material_id: int = Field(sa_column=fk_column("materials.object_id"))
    # "actor:<id>" for a signed-in viewer, else a keyed hash of the client address.
    viewer_key: str = Field(max_length=80)
    day: date = Field(sa_column=Column(Date, nullable=False))
