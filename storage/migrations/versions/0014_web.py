"""what a person chose for the web pages (language, time zone, default visibility)

Revision ID: 0014_web
Revises: 0013_safety
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0014_web"
down_revision: str | None = "0013_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_settings",
        sa.Column("account_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("default_visibility", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("account_settings")
