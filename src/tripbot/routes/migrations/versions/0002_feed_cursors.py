"""where routes is in the events service's feed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:38:40.426649
"""

from collections.abc import Sequence

from tripbot.platform.follow import feed_cursor_table
from tripbot.platform.migrations import create_shared_table, drop_shared_table

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    create_shared_table(feed_cursor_table)


def downgrade() -> None:
    """Revert this revision."""
    drop_shared_table(feed_cursor_table)
