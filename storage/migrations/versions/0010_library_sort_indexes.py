"""the library's sort indexes carry the material's id

Revision ID: 0010_library_sort_indexes
Revises: 0010_node_settings
Create Date: 2026-12-07

A page sorted by rating or downloads walks its index in order and tests each
entry against the words' matches; without the id in the index (on SQLite it
is not the rowid), every entry cost a read of the row, a second or more over
100,000 materials.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_library_sort_indexes"
down_revision: str | None = "0010_node_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.drop_index("ix_materials_visibility_rating")
        batch_op.drop_index("ix_materials_visibility_downloads")
        batch_op.create_index(
            "ix_materials_visibility_rating_id",
            ["visibility", "rating_average", "rating_count", "object_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_materials_visibility_downloads_id",
            ["visibility", "downloads_count", "object_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.drop_index("ix_materials_visibility_downloads_id")
        batch_op.drop_index("ix_materials_visibility_rating_id")
        batch_op.create_index(
            "ix_materials_visibility_downloads", ["visibility", "downloads_count"], unique=False
        )
        batch_op.create_index(
            "ix_materials_visibility_rating",
            ["visibility", "rating_average", "rating_count"],
            unique=False,
        )
