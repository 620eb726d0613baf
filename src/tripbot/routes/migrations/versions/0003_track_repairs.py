"""what was repaired in a route's file (dropped points, interpolated elevations...)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Routes imported before had nothing told about them: an empty list.
    op.add_column(
        "route_tracks",
        sa.Column("repairs", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("route_tracks", schema=None) as batch_op:
        batch_op.drop_column("repairs")
