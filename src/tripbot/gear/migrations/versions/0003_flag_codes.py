"""reservation flags stored as codes, worded where they are read

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 18:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODES = {
    "the unit you reserved is out of service": "unit_out_of_service",
    "not enough of this item is in service for these days": "not_enough_in_service",
    "its event was deleted": "event_deleted",
}
"""The English sentences flags were stored as, and the codes that replace them. (History lines
keep their words: history is never rewritten, and the web words both.)"""

reservations = sa.table("reservations", sa.column("flag", sa.String(200)))


def _replace(pairs: dict[str, str]) -> None:
    for old, new in pairs.items():
        op.execute(reservations.update().where(reservations.c.flag == old).values(flag=new))


def upgrade() -> None:
    """Apply this revision."""
    _replace(CODES)


def downgrade() -> None:
    """Revert this revision."""
    _replace({code: sentence for sentence, code in CODES.items()})
