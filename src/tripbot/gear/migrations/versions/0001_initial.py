"""gear: items, units, photos, reservations, loans, history, packing lists, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-21 22:03:08.045829
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripbot.platform.db
from tripbot.platform.idempotency import idempotency_table
from tripbot.platform.migrations import create_shared_table, drop_shared_table
from tripbot.platform.outbox import outbox_table

# History is append-only: the database itself refuses to change a row once written.
SQLITE_TRIGGER = """
CREATE TRIGGER history_append_only BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'gear history is append-only'); END
"""
POSTGRES_FUNCTION = """
CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'gear history is append-only'; END $$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER history_append_only BEFORE UPDATE ON history
FOR EACH ROW EXECUTE FUNCTION history_append_only()
"""

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    create_shared_table(idempotency_table)
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("tracking", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("out_of_service", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("tracking IN ('units', 'quantity')", name=op.f("ck_items_tracking")),
        sa.CheckConstraint(
            "out_of_service >= 0 AND out_of_service <= quantity", name=op.f("ck_items_broken")
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_items_quantity")),
        sa.CheckConstraint("weight_grams >= 0", name=op.f("ck_items_weight")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_event_id_category", ["event_id", "category"], unique=False)

    create_shared_table(outbox_table)

    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=80), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("condition", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_history_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index("ix_history_item_id_id", ["item_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "packing_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("worn", sa.Boolean(), nullable=False),
        sa.Column("consumable", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("provided_by", sa.String(length=12), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "provided_by IN ('participant', 'club')", name=op.f("ck_packing_entries_provider")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_packing_entries_quantity")),
        sa.CheckConstraint("weight_grams >= 0", name=op.f("ck_packing_entries_weight")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_packing_entries_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packing_entries")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("packing_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_packing_entries_event_id_position", ["event_id", "position"], unique=False
        )

    op.create_table(
        "photos",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_photos_item_id_items")),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_photos")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "condition IN ('new', 'good', 'worn', 'out_of_service')", name=op.f("ck_units_cond")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_units_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("item_id", "label", name=op.f("uq_units_item_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_item_id"), ["item_id"], unique=False)

    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("event_name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("flag", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('reserved', 'out', 'returned', 'cancelled')",
            name=op.f("ck_reservations_status"),
        ),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_reservations_dates")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservations_quantity")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_reservations_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_reservations_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reservations_window",
            ["end_date", "start_date", "item_id", "quantity", "status"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_reservations_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            "ix_reservations_item_id_end_date", ["item_id", "end_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reservations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("checked_out_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_out_by", sa.Integer(), nullable=False),
        sa.Column("condition_out", sa.String(length=20), nullable=True),
        sa.Column("note_out", sa.String(length=500), nullable=False),
        sa.Column("returned_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("returned_by", sa.Integer(), nullable=True),
        sa.Column("condition_in", sa.String(length=20), nullable=True),
        sa.Column("note_in", sa.String(length=500), nullable=False),
        sa.Column("out_of_service", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "out_of_service >= 0 AND out_of_service <= quantity", name=op.f("ck_loans_broken")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_loans_quantity")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_loans_item_id_items")),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_loans_reservation_id_reservations"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_loans_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loans_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loans_reservation_id"), ["reservation_id"], unique=False
        )
        batch_op.create_index(
            "ix_loans_returned_at_due_date", ["returned_at", "due_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loans_unit_id"), ["unit_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    """Revert this revision."""
    op.execute(
        "DROP TRIGGER IF EXISTS history_append_only"
        + (" ON history" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS history_append_only()")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loans_unit_id"))
        batch_op.drop_index("ix_loans_returned_at_due_date")
        batch_op.drop_index(batch_op.f("ix_loans_reservation_id"))
        batch_op.drop_index(batch_op.f("ix_loans_item_id"))

    op.drop_table("loans")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reservations_user_id"))
        batch_op.drop_index("ix_reservations_item_id_end_date")
        batch_op.drop_index(batch_op.f("ix_reservations_event_id"))
        batch_op.drop_index("ix_reservations_window")

    op.drop_table("reservations")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_item_id"))

    op.drop_table("units")
    op.drop_table("photos")
    with op.batch_alter_table("packing_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_packing_entries_event_id_position")

    op.drop_table("packing_entries")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_unit_id"))
        batch_op.drop_index("ix_history_item_id_id")

    op.drop_table("history")
    drop_shared_table(outbox_table)
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_event_id_category")

    op.drop_table("items")
    drop_shared_table(idempotency_table)
