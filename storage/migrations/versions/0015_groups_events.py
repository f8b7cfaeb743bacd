"""peers' software (members-only delivery), remote groups' member counts, calendar feeds

Revision ID: 0015_groups_events
Revises: 0014_web
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0015_groups_events"
down_revision: str | None = "0014_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("members_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("followers_count", sa.Integer(), nullable=True))
    op.create_table(
        "peer_software",
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("software", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("members_only", sa.Boolean(), nullable=False),
        sa.Column("checked_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host"),
    )
    with op.batch_alter_table("peer_software", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peer_software_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "calendar_feeds",
        sa.Column("account_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
        sa.UniqueConstraint("token"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("peer_software", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_software_expires_at"))
    op.drop_table("peer_software")
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_column("followers_count")
        batch_op.drop_column("members_only")
