"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-21 22:04:51.769361
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripbot.platform.db
from tripbot.platform.migrations import create_shared_table, drop_shared_table
from tripbot.platform.outbox import outbox_table

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    create_shared_table(outbox_table)

    op.create_table(
        "plans",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("meeting_point", sa.String(length=200), nullable=False),
        sa.Column("meeting_lat", sa.Double(), nullable=True),
        sa.Column("meeting_lon", sa.Double(), nullable=True),
        sa.Column("meeting_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_plans")),
    )
    op.create_table(
        "routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=False),
        sa.Column("signage", sa.String(length=20), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("mide_medio", sa.Integer(), nullable=True),
        sa.Column("mide_itinerario", sa.Integer(), nullable=True),
        sa.Column("mide_desplazamiento", sa.Integer(), nullable=True),
        sa.Column("effort", sa.Integer(), nullable=True),
        sa.Column("distance_m", sa.Double(), nullable=False),
        sa.Column("distance_3d_m", sa.Double(), nullable=True),
        sa.Column("ascent_m", sa.Double(), nullable=True),
        sa.Column("descent_m", sa.Double(), nullable=True),
        sa.Column("min_elevation_m", sa.Double(), nullable=True),
        sa.Column("max_elevation_m", sa.Double(), nullable=True),
        sa.Column("time_mide_min", sa.Integer(), nullable=True),
        sa.Column("time_swiss_min", sa.Integer(), nullable=True),
        sa.Column("shape", sa.String(length=20), nullable=False),
        sa.Column("suggested_type", sa.String(length=2), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("segment_count", sa.Integer(), nullable=False),
        sa.Column("has_times", sa.Boolean(), nullable=False),
        sa.Column("min_lat", sa.Double(), nullable=False),
        sa.Column("min_lon", sa.Double(), nullable=False),
        sa.Column("max_lat", sa.Double(), nullable=False),
        sa.Column("max_lon", sa.Double(), nullable=False),
        sa.Column("start_lat", sa.Double(), nullable=False),
        sa.Column("start_lon", sa.Double(), nullable=False),
        sa.Column("end_lat", sa.Double(), nullable=False),
        sa.Column("end_lon", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tripbot.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
        sa.UniqueConstraint("content_sha256", name=op.f("uq_routes_content_sha256")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routes_ascent_m"), ["ascent_m"], unique=False)
        batch_op.create_index("ix_routes_bbox_lat", ["min_lat", "max_lat"], unique=False)
        batch_op.create_index("ix_routes_bbox_lon", ["min_lon", "max_lon"], unique=False)
        batch_op.create_index(batch_op.f("ix_routes_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_routes_created_by"), ["created_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_routes_distance_m"), ["distance_m"], unique=False)
        batch_op.create_index(batch_op.f("ix_routes_effort"), ["effort"], unique=False)
        batch_op.create_index("ix_routes_start", ["start_lat", "start_lon"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_routes_time_mide_min"), ["time_mide_min"], unique=False
        )

    op.create_table(
        "plan_routes",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["plans.event_id"],
            name=op.f("fk_plan_routes_event_id_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["routes.id"],
            name=op.f("fk_plan_routes_route_id_routes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("event_id", "position", name=op.f("pk_plan_routes")),
    )
    with op.batch_alter_table("plan_routes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_routes_route_id"), ["route_id"], unique=False)

    op.create_table(
        "route_tracks",
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.LargeBinary(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("waypoints", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["routes.id"],
            name=op.f("fk_route_tracks_route_id_routes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("route_id", name=op.f("pk_route_tracks")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("route_tracks")
    with op.batch_alter_table("plan_routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_routes_route_id"))

    op.drop_table("plan_routes")
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routes_time_mide_min"))
        batch_op.drop_index("ix_routes_start")
        batch_op.drop_index(batch_op.f("ix_routes_effort"))
        batch_op.drop_index(batch_op.f("ix_routes_distance_m"))
        batch_op.drop_index(batch_op.f("ix_routes_created_by"))
        batch_op.drop_index(batch_op.f("ix_routes_created_at"))
        batch_op.drop_index("ix_routes_bbox_lon")
        batch_op.drop_index("ix_routes_bbox_lat")
        batch_op.drop_index(batch_op.f("ix_routes_ascent_m"))

    op.drop_table("routes")
    op.drop_table("plans")
    drop_shared_table(outbox_table)
