"""an index for the local and public timelines: public posts of this node, newest first

Revision ID: 0018_public_timeline_index
Revises: 0017_web_sessions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_public_timeline_index"
down_revision: str | None = "0017_web_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_objects_public_local", "objects", ["visibility", "local", "id"])


def downgrade() -> None:
    op.drop_index("ix_objects_public_local", table_name="objects")
