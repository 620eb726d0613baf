"""a route its creator removed while plans still use it: out of the catalogue, kept for them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripbot.platform.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    column: sa.Column[object] = sa.Column(
        "removed_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True
    )
    op.add_column("routes", column)
    op.create_index("ix_routes_removed_at", "routes", ["removed_at"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.drop_index("ix_routes_removed_at")
        batch_op.drop_column("removed_at")
