"""What the routes service accepts and answers: the schemas its API and its client share."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from apiflask.fields import UploadFile
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from tripbot.platform.schemas import Input

Shape = Literal["circular", "out-and-back", "one-way"]
FedmeType = Literal["SL", "PR", "GR"]
Sort = Literal["name", "distance", "-distance", "ascent", "-ascent", "time", "newest", "nearest"]
Rating = Annotated[int, Field(ge=1, le=5)]
RouteId = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""A route id: the database's integer key holds no more (a bigger number is refused, not sent)."""

SIGNAGE = re.compile(r"(GR|PR|SL)(-[A-Z]{1,4})? ?-?\d{1,4}([.-]\d{1,3})?")
"""FEDME path codes: GR 11, GR-65.3, PR-AS 123, SL-A 5."""


def _signage(value: str) -> str:
    code = " ".join(value.upper().split())
    if code and not SIGNAGE.fullmatch(code):
        raise ValueError(
            f"{value!r} is not a FEDME path code; write it like GR 11, PR-AS 123 or SL-A 5"
        )
    return code


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Region = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Signage = Annotated[str, StringConstraints(max_length=20), AfterValidator(_signage)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class RouteDetails(Input):
    """What people say about a route; the statistics come from its track."""

    name: Name | None = Field(None, description="Default: the name in the file, or its name.")
    description: Description = ""
    region: Region = ""
    signage: Signage = Field("", description="FEDME code such as GR 11, PR-AS 123 or SL-A 5.")
    mide_medio: Rating | None = Field(None, description="MIDE severity of the environment, 1-5.")
    mide_itinerario: Rating | None = Field(None, description="MIDE orientation difficulty, 1-5.")
    mide_desplazamiento: Rating | None = Field(None, description="MIDE terrain difficulty, 1-5.")


class RouteUpload(RouteDetails):
    """A route file (GPX, KML, KMZ, TCX, FIT or GeoJSON) with what people say about it
    (multipart)."""

    file: UploadFile


class RouteUpdate(Input):
    """Changes to a route; fields left out stay as they are, null clears a MIDE rating."""

    name: Name | None = None
    description: Description | None = None
    region: Region | None = None
    signage: Signage | None = None
    mide_medio: Rating | None = None
    mide_itinerario: Rating | None = None
    mide_desplazamiento: Rating | None = None


class Mide(BaseModel):
    """The MIDE ratings: effort from the walking time; the other three are set by people."""

    esfuerzo: int | None = Field(description="1-5 from the MIDE time; null without elevation.")
    medio: int | None
    itinerario: int | None
    desplazamiento: int | None


class RouteStats(BaseModel):
    """A track's statistics. Elevation-based ones are null when the track has no elevation."""

    distance_m: float = Field(description="2D length on the WGS84 ellipsoid.")
    distance_3d_m: float | None = Field(description="Length along the smoothed elevation.")
    ascent_m: float | None
    descent_m: float | None
    min_elevation_m: float | None
    max_elevation_m: float | None
    time_mide_min: int | None = Field(description="MIDE walking time, breaks not included.")
    time_swiss_min: int | None = Field(description="Swiss hiking-time formula, no breaks.")
    shape: Shape
    suggested_type: FedmeType = Field(description="By length: SL < 10 km ≤ PR ≤ 50 km < GR.")
    point_count: int
    segment_count: int
    has_elevation: bool
    has_times: bool
    bbox: list[float] = Field(description="[min_lon, min_lat, max_lon, max_lat], as GeoJSON.")
    start: list[float] = Field(description="[lat, lon]")
    end: list[float] = Field(description="[lat, lon]")


class Method(BaseModel):
    """How the statistics are computed, so that people can compare them with others'."""

    resample_m: float
    smoothing_sigma_m: float
    hysteresis_m: float
    elevation: str
    time: str
    distance: str


class RouteSummary(BaseModel):
    """A route as the catalogue lists it."""

    id: int
    name: str
    region: str
    signage: str
    mide: Mide
    stats: RouteStats
    created_by: int
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None = Field(
        default=None,
        description="Set when its creator or an administrator removed it from the catalogue "
        "while excursion plans used it: those plans keep it as it was.",
    )


class Waypoint(BaseModel):
    """A point of interest that came with the track."""

    name: str
    lat: float
    lon: float
    ele: float | None
    description: str
    symbol: str


RepairKind = Literal[
    "no_position",
    "impossible_position",
    "far_from_track",
    "split_at_jump",
    "elevation_implausible",
    "elevation_all_zero",
    "elevation_filled",
    "elevation_dropped",
    "time_unreadable",
    "time_implausible",
    "time_out_of_order",
    "duplicate_path",
    "short_segment",
    "route_used",
    "waypoint_dropped",
    "waypoints_repeat_track",
    "file_truncated",
]
"""What was done to make a file usable; ``tripbot.routes.repairs`` says each in words."""


class RepairPlace(BaseModel):
    """One place of a file where a repair was made (the first few are kept)."""

    where: str = Field(description="The line of the file, in the caller's language.")
    point: int | None = Field(description="The point's number in that line, from 1.")
    lat: float | None
    lon: float | None
    value: str = Field(description="What was there, when it helps (an ignored time...).")


class RepairOut(BaseModel):
    """What was dropped or repaired to make the file usable, and where."""

    kind: RepairKind
    count: int = Field(description="How many points, lines or waypoints it touched.")
    detail: str = Field(description="The repair in a sentence, in the caller's language.")
    places: list[RepairPlace] = Field(description="The first places, in file order.")


class RouteOut(RouteSummary):
    """A route with what its page shows: the map line, points of interest and the method."""

    description: str
    source: Literal["gpx-track", "gpx-route", "kml", "kmz", "geojson", "tcx", "fit"]
    filename: str
    geometry: list[list[list[float]]] = Field(
        description="The simplified track for maps: [lon, lat] points, one list per segment."
    )
    waypoints: list[Waypoint]
    method: Method
    may_edit: bool = Field(description="Whether the asker may change or delete it.")
    plan_count: int = Field(description="How many excursion plans use it.")
    repairs: list[RepairOut] = Field(
        default_factory=list,
        description="What was dropped or repaired in its file (empty: nothing was).",
    )


class ProfileOut(BaseModel):
    """The elevation profile: [distance km, elevation m, lat, lon] along the track."""

    route_id: int
    points: list[list[float]]
    method: Method


class RoutePage(BaseModel):
    """One page of a catalogue search, and how many routes match in all."""

    items: list[RouteSummary]
    total: int
    limit: int
    offset: int


NEAR = re.compile(r"\s*(-?\d+(\.\d+)?)\s*,\s*(-?\d+(\.\d+)?)\s*")


class RouteQuery(Input):
    """A catalogue search; every filter is optional and they all apply together."""

    q: str = Field("", max_length=200, description="Words found in name, region, code or text.")
    min_distance_km: float | None = Field(None, ge=0)
    max_distance_km: float | None = Field(None, ge=0)
    max_ascent_m: float | None = Field(None, ge=0)
    min_effort: int | None = Field(None, ge=1, le=5, description="MIDE effort from.")
    max_effort: int | None = Field(None, ge=1, le=5, description="MIDE effort up to.")
    type: FedmeType | None = Field(None, description="Suggested FEDME type by length.")
    shape: Shape | None = None
    near: str | None = Field(None, description="lat,lon: routes that start within radius_km.")
    radius_km: float = Field(10.0, gt=0, le=1000)
    bbox: str | None = Field(
        None, description="min_lon,min_lat,max_lon,max_lat: routes whose extent touches it."
    )
    sort: Sort = Field("newest", description="nearest needs near.")
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=100_000)

    @field_validator("near")
    @classmethod
    def _point(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        found = NEAR.fullmatch(value)
        if not found or abs(float(found.group(1))) > 90 or abs(float(found.group(3))) > 180:
            raise ValueError("near must be 'lat,lon' in degrees, such as 43.24,-4.86")
        return value

    @field_validator("bbox")
    @classmethod
    def _box(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            west, south, east, north = (float(v) for v in value.split(","))
        except ValueError as error:
            raise ValueError("bbox must be 'min_lon,min_lat,max_lon,max_lat' in degrees") from error
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise ValueError("bbox must be 'min_lon,min_lat,max_lon,max_lat' with min ≤ max")
        return value

    @model_validator(mode="after")
    def _nearest_needs_a_point(self) -> RouteQuery:
        if self.sort == "nearest" and self.near is None:
            raise ValueError("sort=nearest needs near=lat,lon")
        return self

    def point(self) -> tuple[float, float] | None:
        """The ``near`` point as (lat, lon)."""
        found = NEAR.fullmatch(self.near or "")
        return (float(found.group(1)), float(found.group(3))) if found else None

    def box(self) -> tuple[float, float, float, float] | None:
        """The ``bbox`` as (min_lon, min_lat, max_lon, max_lat)."""
        if not self.bbox:
            return None
        west, south, east, north = (float(v) for v in self.bbox.split(","))
        return west, south, east, north


class PlanUpdate(Input):
    """An excursion plan as a whole: what is left out is cleared."""

    route_ids: list[RouteId] = Field(default_factory=list, max_length=20)
    meeting_point: str = Field("", max_length=200)
    meeting_lat: Latitude | None = None
    meeting_lon: Longitude | None = None
    meeting_at: AwareDatetime | None = None
    capacity: int | None = Field(None, ge=1, le=10_000)
    notes: str = Field("", max_length=5000)

    @field_validator("route_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("a route can be in a plan only once")
        return value

    @model_validator(mode="after")
    def _both_coordinates(self) -> PlanUpdate:
        if (self.meeting_lat is None) != (self.meeting_lon is None):
            raise ValueError("give both meeting_lat and meeting_lon, or neither")
        return self


class PlanRouteOut(BaseModel):
    """A route of a plan, in walking order, with its map line."""

    position: int
    route: RouteSummary
    geometry: list[list[list[float]]]


class PlanOut(BaseModel):
    """An event's excursion plan; an event without one has no routes and empty fields."""

    event_id: int
    routes: list[PlanRouteOut]
    meeting_point: str
    meeting_lat: float | None
    meeting_lon: float | None
    meeting_at: datetime | None
    capacity: int | None
    notes: str
    total_distance_m: float
    total_ascent_m: float | None
    total_time_mide_min: int | None
    updated_at: datetime | None
    updated_by: int | None


class GeoJSON(BaseModel):
    """A GeoJSON FeatureCollection: the whole track, then its points of interest."""

    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


class RouteSubmission(RouteDetails):
    """A new route for the public API: a file (multipart) or a GeoJSON object (JSON body)."""

    file: UploadFile | None = Field(
        None, description="multipart only: a GPX, KML, KMZ, TCX, FIT or GeoJSON file"
    )
    geojson: dict[str, Any] | None = Field(None, description="JSON only: a GeoJSON object")

    @model_validator(mode="after")
    def _one_track(self) -> RouteSubmission:
        if (self.file is None) == (self.geojson is None):
            raise ValueError("send either a file (multipart) or a geojson object (JSON), not both")
        return self

    def details(self) -> RouteDetails:
        """What people say about the route, without the track."""
        return RouteDetails.model_validate(self.model_dump(exclude={"file", "geojson"}))
