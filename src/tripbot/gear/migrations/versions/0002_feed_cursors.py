"""where gear is in the events service's feed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:23:39.708778
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "feed_cursors",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_feed_cursors")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("feed_cursors")
