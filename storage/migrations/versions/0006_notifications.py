"""notifications, stream events, conversation marks

Revision ID: 0006_notifications
Revises: 0005_account_state
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0006_notifications"
down_revision: str | None = "0005_account_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("from_actor_id", sa.BigInteger(), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["from_actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["objects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recipient_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient_id", "type", "from_actor_id", "object_id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_from_actor_id"), ["from_actor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_object_id"), ["object_id"], unique=False)
        batch_op.create_index(
            "ix_notifications_recipient_id_id", ["recipient_id", "id"], unique=False
        )

    op.create_table(
        "stream_events",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=True),
        sa.Column("announce_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_id", sa.BigInteger(), nullable=True),
        sa.Column("notification_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stream_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stream_events_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "conversation_marks",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("read_up_to", sa.BigInteger(), nullable=True),
        sa.Column("hidden_up_to", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "key_hash"),
    )


def downgrade() -> None:
    op.drop_table("conversation_marks")
    with op.batch_alter_table("stream_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stream_events_created_at"))
    op.drop_table("stream_events")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_recipient_id_id")
        batch_op.drop_index(batch_op.f("ix_notifications_object_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_from_actor_id"))
    op.drop_table("notifications")
