"""entry codes: what the ledger writes itself is a code, worded in each reader's language

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Settle-ups were saved with the English words "Settle-up" as their description; they become
# the code, with no description of their own, so each reader sees them in their language.
_revisions = sa.table(
    "revisions",
    sa.column("entry_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("description", sa.String),
    sa.column("code", sa.String),
)


_audit = sa.table(
    "audit",
    sa.column("id", sa.Integer),
    sa.column("entry_id", sa.Integer),
    sa.column("summary", sa.JSON),
)
_settle_up = sa.and_(_revisions.c.kind == "transfer", _revisions.c.description == "Settle-up")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("code", sa.String(length=20), nullable=True))
    connection = op.get_bind()
    # The audit trail's lines about those entries (a reversal's summary) say the code too.
    entries = sa.select(_revisions.c.entry_id).where(_settle_up)
    rows = connection.execute(
        sa.select(_audit.c.id, _audit.c.summary).where(_audit.c.entry_id.in_(entries))
    ).all()
    for audit_id, summary in rows:
        if isinstance(summary, dict) and summary.get("description") == "Settle-up":
            fixed = {**summary, "description": "", "code": "settle-up"}
            connection.execute(_audit.update().where(_audit.c.id == audit_id).values(summary=fixed))
    op.execute(_revisions.update().where(_settle_up).values(code="settle-up", description=""))


def downgrade() -> None:
    """Revert this revision."""
    op.execute(
        _revisions.update().where(_revisions.c.code == "settle-up").values(description="Settle-up")
    )
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("code")
