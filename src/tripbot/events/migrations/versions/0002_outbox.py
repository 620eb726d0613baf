"""outbox of changes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:38:31.066156
"""

from collections.abc import Sequence

from tripbot.platform.migrations import create_shared_table, drop_shared_table
from tripbot.platform.outbox import outbox_table

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    create_shared_table(outbox_table)


def downgrade() -> None:
    """Revert this revision."""
    drop_shared_table(outbox_table)
