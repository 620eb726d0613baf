"""where the ledger is in the events service's feed (guests' places claimed)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

from tripbot.platform.follow import feed_cursor_table
from tripbot.platform.migrations import create_shared_table, drop_shared_table

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    create_shared_table(feed_cursor_table)


def downgrade() -> None:
    """Revert this revision."""
    drop_shared_table(feed_cursor_table)
