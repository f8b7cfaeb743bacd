"""oauth: client apps, authorization codes, app and refresh columns on tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_FOREIGN_KEY = "fk_access_tokens_app_id_oauth_apps"


def upgrade() -> None:
    op.create_table(
        "oauth_apps",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "client_secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("website", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oauth_apps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_apps_client_id"), ["client_id"], unique=True)

    # Before oauth_codes exists: on SQLite this batch recreates access_tokens, and
    # no table may reference it while it is dropped and renamed.
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("app_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "refresh_token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("account_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_index(batch_op.f("ix_access_tokens_app_id"), ["app_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_access_tokens_refresh_token_hash"), ["refresh_token_hash"], unique=True
        )
        batch_op.create_foreign_key(
            APP_FOREIGN_KEY, "oauth_apps", ["app_id"], ["id"], ondelete="CASCADE"
        )

    op.create_table(
        "oauth_codes",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("redirect_uri", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("code_challenge", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column(
            "code_challenge_method", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True
        ),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["app_id"], ["oauth_apps.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["token_id"], ["access_tokens.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oauth_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_codes_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oauth_codes_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oauth_codes_code_hash"), ["code_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("oauth_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_codes_code_hash"))
        batch_op.drop_index(batch_op.f("ix_oauth_codes_app_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_codes_account_id"))
    op.drop_table("oauth_codes")

    # App-only tokens have no account and cannot survive account_id NOT NULL.
    op.execute("DELETE FROM access_tokens WHERE account_id IS NULL")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(APP_FOREIGN_KEY, type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_access_tokens_refresh_token_hash"))
        batch_op.drop_index(batch_op.f("ix_access_tokens_app_id"))
        batch_op.alter_column("account_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("expires_at")
        batch_op.drop_column("refresh_token_hash")
        batch_op.drop_column("app_id")

    with op.batch_alter_table("oauth_apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_apps_client_id"))
    op.drop_table("oauth_apps")
