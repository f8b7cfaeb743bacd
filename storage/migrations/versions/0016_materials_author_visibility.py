"""the library reads a viewer's followees' followers-only materials by (author, visibility)

Revision ID: 0016_materials_author_visibility
Revises: 0015_groups_events
Create Date: 2026-12-07

A signed-in viewer's library page is the merge of the public half (walked in
sort order) and the private half: their own materials and the followers-only
ones of the authors they follow. With the author alone indexed, the private
half read every material of every followee to keep the tenth that is
followers-only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_materials_author_visibility"
down_revision: str | None = "0015_groups_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.create_index(
            "ix_materials_author_id_visibility", ["author_id", "visibility"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.drop_index("ix_materials_author_id_visibility")
