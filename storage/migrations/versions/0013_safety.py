"""safety: guardians, invites, moderation, domain policy, filters

Revision ID: 0013_safety
Revises: 0012_events
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0013_safety"
down_revision: str | None = "0012_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domain_policies",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reject_media", sa.Boolean(), nullable=False),
        sa.Column("reject_reports", sa.Boolean(), nullable=False),
        sa.Column("obfuscate", sa.Boolean(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("public_comment", sa.Text(), nullable=False),
        sa.Column("private_comment", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("domain_policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_domain_policies_domain"), ["domain"], unique=True)

    op.create_table(
        "actor_moderation",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("limited", sa.Boolean(), nullable=False),
        sa.Column("sensitized", sa.Boolean(), nullable=False),
        sa.Column("suspended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delete_after", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_federated_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_id"),
    )
    op.create_table(
        "filters",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("contexts", sa.JSON(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("filters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_filters_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "guardian_links",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("parent_id", "student_id"),
    )
    with op.batch_alter_table("guardian_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guardian_links_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guardian_links_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guardian_links_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "invites",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invites_code_hash"), ["code_hash"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_invites_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invites_student_id"), ["student_id"], unique=False)

    op.create_table(
        "filter_keywords",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("filter_id", sa.BigInteger(), nullable=False),
        sa.Column("keyword", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("whole_word", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["filter_id"], ["filters.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("filter_keywords", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_filter_keywords_filter_id"), ["filter_id"], unique=False
        )

    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("moderator_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("target_actor_id", sa.BigInteger(), nullable=True),
        sa.Column("target_domain", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("object_ap_id", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("report_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["moderator_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["target_actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("moderation_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderation_actions_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_moderation_actions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_actions_moderator_id"), ["moderator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_actions_report_id"), ["report_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_actions_target_actor_id"), ["target_actor_id"], unique=False
        )

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "category",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="other",
            )
        )
        batch_op.add_column(sa.Column("assigned_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("forwarded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_reports_assigned_id"), ["assigned_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reports_resolved_by_id"), ["resolved_by_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_reports_resolved_by_id", "actors", ["resolved_by_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_foreign_key(
            "fk_reports_assigned_id", "actors", ["assigned_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_resolved_by_id"))
        batch_op.drop_index(batch_op.f("ix_reports_assigned_id"))
        batch_op.drop_column("forwarded")
        batch_op.drop_column("resolved_by_id")
        batch_op.drop_column("assigned_id")
        batch_op.drop_column("category")

    with op.batch_alter_table("moderation_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_actions_target_actor_id"))
        batch_op.drop_index(batch_op.f("ix_moderation_actions_report_id"))
        batch_op.drop_index(batch_op.f("ix_moderation_actions_moderator_id"))
        batch_op.drop_index(batch_op.f("ix_moderation_actions_created_at"))
        batch_op.drop_index(batch_op.f("ix_moderation_actions_action"))

    op.drop_table("moderation_actions")
    with op.batch_alter_table("filter_keywords", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filter_keywords_filter_id"))

    op.drop_table("filter_keywords")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invites_student_id"))
        batch_op.drop_index(batch_op.f("ix_invites_created_by_id"))
        batch_op.drop_index(batch_op.f("ix_invites_code_hash"))

    op.drop_table("invites")
    with op.batch_alter_table("guardian_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guardian_links_student_id"))
        batch_op.drop_index(batch_op.f("ix_guardian_links_parent_id"))
        batch_op.drop_index(batch_op.f("ix_guardian_links_created_by_id"))

    op.drop_table("guardian_links")
    with op.batch_alter_table("filters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filters_actor_id"))

    op.drop_table("filters")
    op.drop_table("actor_moderation")
    with op.batch_alter_table("domain_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_policies_domain"))

    op.drop_table("domain_policies")
