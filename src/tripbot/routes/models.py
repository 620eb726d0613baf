"""Tables of the routes service: the route catalogue, each route's track, and excursion plans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tripbot.platform.db import UTCDateTime, new_metadata, utcnow
from tripbot.platform.follow import feed_cursor_table
from tripbot.platform.outbox import outbox_table
from tripbot.platform.replay import used_token_table

metadata = new_metadata()
outbox = outbox_table(metadata)
used_tokens = used_token_table(metadata)
feed_cursors = feed_cursor_table(metadata)
"""How far routes has followed the events service's feed (a deleted event's plan goes)."""
"""Changes the routes service records for the bot and the web's activity stream."""


class Base(DeclarativeBase):
    """Tables of the routes service share this metadata and no other service's."""

    metadata = metadata


class Route(Base):
    """A route of the catalogue: what people set, and the statistics searched on."""

    __tablename__ = "routes"
    __table_args__ = (
        Index("ix_routes_start", "start_lat", "start_lon"),
        Index("ix_routes_bbox_lat", "min_lat", "max_lat"),
        Index("ix_routes_bbox_lon", "min_lon", "max_lon"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    signage: Mapped[str] = mapped_column(String(20), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Name, region, signage and description in lower case without accents."""
    mide_medio: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mide_itinerario: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mide_desplazamiento: Mapped[int | None] = mapped_column(Integer, nullable=True)
    effort: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    distance_m: Mapped[float] = mapped_column(Double, index=True)
    distance_3d_m: Mapped[float | None] = mapped_column(Double, nullable=True)
    ascent_m: Mapped[float | None] = mapped_column(Double, nullable=True, index=True)
    descent_m: Mapped[float | None] = mapped_column(Double, nullable=True)
    min_elevation_m: Mapped[float | None] = mapped_column(Double, nullable=True)
    max_elevation_m: Mapped[float | None] = mapped_column(Double, nullable=True)
    time_mide_min: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    time_swiss_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shape: Mapped[str] = mapped_column(String(20))
    suggested_type: Mapped[str] = mapped_column(String(2))
    point_count: Mapped[int] = mapped_column(Integer)
    segment_count: Mapped[int] = mapped_column(Integer)
    has_times: Mapped[bool] = mapped_column(Boolean)
    min_lat: Mapped[float] = mapped_column(Double)
    min_lon: Mapped[float] = mapped_column(Double)
    max_lat: Mapped[float] = mapped_column(Double)
    max_lon: Mapped[float] = mapped_column(Double)
    start_lat: Mapped[float] = mapped_column(Double)
    start_lon: Mapped[float] = mapped_column(Double)
    end_lat: Mapped[float] = mapped_column(Double)
    end_lon: Mapped[float] = mapped_column(Double)
    source: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    """When its creator or an administrator removed it while plans still used it: out of the
    catalogue, kept as it was for those plans, deleted once none uses it."""


class RouteTrack(Base):
    """A route's full track and what maps and charts draw, kept apart from the catalogue."""

    __tablename__ = "route_tracks"

    route_id: Mapped[int] = mapped_column(
        ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True
    )
    points: Mapped[bytes] = mapped_column(LargeBinary)
    """Every point, as compressed numpy arrays (see tracks.pack)."""
    geometry: Mapped[list[Any]] = mapped_column(JSON)
    profile: Mapped[list[Any]] = mapped_column(JSON)
    waypoints: Mapped[list[Any]] = mapped_column(JSON)
    repairs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """What was dropped or repaired to make the file usable (see repairs.stored)."""


class Plan(Base):
    """The excursion plan of an event: where and when people meet, and how many may come."""

    __tablename__ = "plans"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    meeting_point: Mapped[str] = mapped_column(String(200), default="")
    meeting_lat: Mapped[float | None] = mapped_column(Double, nullable=True)
    meeting_lon: Mapped[float | None] = mapped_column(Double, nullable=True)
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PlanRoute(Base):
    """A route of an excursion plan, in walking order. A route in a plan cannot be deleted."""

    __tablename__ = "plan_routes"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("plans.event_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="RESTRICT"), index=True)
