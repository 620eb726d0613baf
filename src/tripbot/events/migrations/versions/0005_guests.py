"""people without accounts (guests) and their claim links

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripbot.platform.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # A plain ADD COLUMN on both engines: the users table is not rebuilt (on SQLite a rebuild
    # would drop a table that every membership, token and session cascades from).
    op.add_column("users", sa.Column("guest_event_id", sa.Integer(), nullable=True))
    op.create_table(
        "guest_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("guest_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_guest_claims_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_guest_claims_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["guest_id"],
            ["users.id"],
            name=op.f("fk_guest_claims_guest_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_claims")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_guest_claims_token_hash")),
    )
    with op.batch_alter_table("guest_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guest_claims_guest_id"), ["guest_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("guest_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guest_claims_guest_id"))
    op.drop_table("guest_claims")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("guest_event_id")
