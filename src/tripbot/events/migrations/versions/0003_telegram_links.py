"""telegram links and link codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:12:32.610723
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripbot.platform.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "telegram_link_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_telegram_link_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_telegram_link_codes_code_hash")),
    )
    with op.batch_alter_table("telegram_link_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telegram_link_codes_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "telegram_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_telegram_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_links")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_telegram_links_telegram_user_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_telegram_links_user_id")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("telegram_links")
    with op.batch_alter_table("telegram_link_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telegram_link_codes_user_id"))

    op.drop_table("telegram_link_codes")
