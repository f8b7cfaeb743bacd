"""communities: groups, roles, bans, invitations, announced posts

Revision ID: 0011_communities
Revises: 0010_library_sort_indexes
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0011_communities"
down_revision: str | None = "0010_library_sort_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "communities",
        sa.Column("actor_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("join_policy", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("posting_policy", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("actor_id"),
    )
    op.create_table(
        "community_bans",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["community_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "actor_id"),
    )
    with op.batch_alter_table("community_bans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_bans_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_community_bans_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "community_invitations",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_ap_id", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "actor_ap_id"),
    )
    with op.batch_alter_table("community_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_invitations_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "community_roles",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["community_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "actor_id"),
    )
    with op.batch_alter_table("community_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_roles_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_community_roles_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "community_posts",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["objects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "object_id"),
    )
    with op.batch_alter_table("community_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_posts_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_community_posts_object_id"), ["object_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("community_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_posts_object_id"))
        batch_op.drop_index(batch_op.f("ix_community_posts_community_id"))

    op.drop_table("community_posts")
    with op.batch_alter_table("community_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_roles_community_id"))
        batch_op.drop_index(batch_op.f("ix_community_roles_actor_id"))

    op.drop_table("community_roles")
    with op.batch_alter_table("community_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_invitations_community_id"))

    op.drop_table("community_invitations")
    with op.batch_alter_table("community_bans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_bans_community_id"))
        batch_op.drop_index(batch_op.f("ix_community_bans_actor_id"))

    op.drop_table("community_bans")
    op.drop_table("communities")
