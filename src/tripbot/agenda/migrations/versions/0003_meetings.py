"""meetings: an excursion's meeting point and time, from the routes service's feed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 22:40:00.000000
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
        "meetings",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("meeting_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("point", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("uid", name=op.f("uq_meetings_uid")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("meetings")
