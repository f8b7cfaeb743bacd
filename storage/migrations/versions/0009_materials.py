"""teaching materials: materials, files, subjects, grades, reviews, downloads, collections, search

Revision ID: 0009_materials
Revises: 0006_notifications
Create Date: 2026-11-28

The full-text table ``material_search`` is not one the models can describe:
an FTS5 table on SQLite, a ``tsvector`` table with a GIN index on PostgreSQL
(see ``content/materials/search.py``); ``storage.migrate.include_name``
keeps it out of the model comparison.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0009_materials"
down_revision: str | None = "0006_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_search_table() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Stems, not words, are indexed (see content/materials/search.py): unicode61
        # only splits and folds; remove_diacritics 2 folds accents as PostgreSQL's unaccent would not.
        op.execute(
            "CREATE VIRTUAL TABLE material_search USING fts5("
            "body, tokenize = 'unicode61 remove_diacritics 2')"
        )
        return
    op.execute(
        "CREATE TABLE material_search ("
        "material_id BIGINT PRIMARY KEY REFERENCES materials(object_id) ON DELETE CASCADE, "
        "document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_material_search_document ON material_search USING gin (document)")


def upgrade() -> None:
    op.create_table(
        "material_collections",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ap_id", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ap_id"),
    )
    with op.batch_alter_table("material_collections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_collections_owner_id"), ["owner_id"], unique=False
        )

    op.create_table(
        "material_collection_follows",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("collection_id", sa.BigInteger(), nullable=False),
        sa.Column("follower_id", sa.BigInteger(), nullable=False),
        sa.Column("activity_ap_id", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["material_collections.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["follower_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collection_id", "follower_id"),
    )
    with op.batch_alter_table("material_collection_follows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_collection_follows_activity_ap_id"),
            ["activity_ap_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_material_collection_follows_collection_id"),
            ["collection_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_material_collection_follows_follower_id"), ["follower_id"], unique=False
        )

    op.create_table(
        "material_collection_items",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("collection_id", sa.BigInteger(), nullable=False),
        sa.Column("object_ap_id", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["material_collections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collection_id", "object_ap_id"),
    )
    with op.batch_alter_table("material_collection_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_collection_items_collection_id"),
            ["collection_id"],
            unique=False,
        )

    op.create_table(
        "materials",
        sa.Column("object_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("description_source", sa.Text(), nullable=True),
        sa.Column("material_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("license", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("preview_url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("preview_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("published", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("rating_average", sa.Float(), nullable=True),
        sa.Column("downloads_count", sa.Integer(), nullable=False),
        sa.Column("rating_update_due_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["objects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("object_id"),
    )
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_materials_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_materials_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_materials_language"), ["language"], unique=False)
        batch_op.create_index(batch_op.f("ix_materials_license"), ["license"], unique=False)
        batch_op.create_index(batch_op.f("ix_materials_local"), ["local"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_materials_material_type"), ["material_type"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_materials_rating_update_due_at"), ["rating_update_due_at"], unique=False
        )
        batch_op.create_index(
            "ix_materials_visibility_downloads", ["visibility", "downloads_count"], unique=False
        )
        batch_op.create_index(
            "ix_materials_visibility_object_id", ["visibility", "object_id"], unique=False
        )
        batch_op.create_index(
            "ix_materials_visibility_rating",
            ["visibility", "rating_average", "rating_count"],
            unique=False,
        )

    op.create_table(
        "material_downloads",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("material_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("viewer_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["material_id"], ["materials.object_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("material_id", "viewer_key", "day"),
    )
    with op.batch_alter_table("material_downloads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_downloads_material_id"), ["material_id"], unique=False
        )

    op.create_table(
        "material_files",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("material_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("access_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("mirror_state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("mirror_attempts", sa.Integer(), nullable=False),
        sa.Column("mirror_next_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mirror_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["material_id"], ["materials.object_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("access_key"),
    )
    with op.batch_alter_table("material_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_files_material_id"), ["material_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_material_files_mirror_state"), ["mirror_state"], unique=False
        )

    op.create_table(
        "material_grades",
        sa.Column("material_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(["material_id"], ["materials.object_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("material_id", "code"),
    )
    with op.batch_alter_table("material_grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_material_grades_code"), ["code"], unique=False)

    op.create_table(
        "material_reviews",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("material_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("reviewer_id", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("ap_id", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("note_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["material_id"], ["materials.object_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["note_id"], ["objects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ap_id"),
        sa.UniqueConstraint("material_id", "reviewer_id"),
    )
    with op.batch_alter_table("material_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_reviews_material_id"), ["material_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_material_reviews_note_id"), ["note_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_material_reviews_reviewer_id"), ["reviewer_id"], unique=False
        )

    op.create_table(
        "material_subjects",
        sa.Column("material_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(["material_id"], ["materials.object_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("material_id", "code"),
    )
    with op.batch_alter_table("material_subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_material_subjects_code"), ["code"], unique=False)

    _create_search_table()


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS material_search")
    with op.batch_alter_table("material_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_subjects_code"))

    op.drop_table("material_subjects")
    with op.batch_alter_table("material_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_reviews_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_material_reviews_note_id"))
        batch_op.drop_index(batch_op.f("ix_material_reviews_material_id"))

    op.drop_table("material_reviews")
    with op.batch_alter_table("material_grades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_grades_code"))

    op.drop_table("material_grades")
    with op.batch_alter_table("material_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_files_mirror_state"))
        batch_op.drop_index(batch_op.f("ix_material_files_material_id"))

    op.drop_table("material_files")
    with op.batch_alter_table("material_downloads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_downloads_material_id"))

    op.drop_table("material_downloads")
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.drop_index("ix_materials_visibility_rating")
        batch_op.drop_index("ix_materials_visibility_object_id")
        batch_op.drop_index("ix_materials_visibility_downloads")
        batch_op.drop_index(batch_op.f("ix_materials_rating_update_due_at"))
        batch_op.drop_index(batch_op.f("ix_materials_material_type"))
        batch_op.drop_index(batch_op.f("ix_materials_local"))
        batch_op.drop_index(batch_op.f("ix_materials_license"))
        batch_op.drop_index(batch_op.f("ix_materials_language"))
        batch_op.drop_index(batch_op.f("ix_materials_domain"))
        batch_op.drop_index(batch_op.f("ix_materials_author_id"))

    op.drop_table("materials")
    with op.batch_alter_table("material_collection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_collection_items_collection_id"))

    op.drop_table("material_collection_items")
    with op.batch_alter_table("material_collection_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_collection_follows_follower_id"))
        batch_op.drop_index(batch_op.f("ix_material_collection_follows_collection_id"))
        batch_op.drop_index(batch_op.f("ix_material_collection_follows_activity_ap_id"))

    op.drop_table("material_collection_follows")
    with op.batch_alter_table("material_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_collections_owner_id"))

    op.drop_table("material_collections")
