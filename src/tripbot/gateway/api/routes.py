"""The public REST API's routes of routes that add to the routes service's operations: a new
route also as a JSON body of GeoJSON, and downloads named after the route. The others come from
the operations' declarations (``tripbot.routes.service``)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any

from apiflask import APIBlueprint
from apiflask.schema_adapters.pydantic import PydanticAdapter
from flask import Response, request

from tripbot.gateway import auth
from tripbot.platform.operations import Upload
from tripbot.platform.uploads import allows_upload
from tripbot.routes.client import RoutesClient
from tripbot.routes.schemas import GeoJSON, RouteOut, RouteSubmission

bp = APIBlueprint("api_route_files", __name__, url_prefix="/api/v1", tag="Routes")
GPX = "application/gpx+xml"
GEOJSON = "application/geo+json"


def _routes() -> RoutesClient:
    return auth.services().routes(auth.principal())


def _track_body(view: Callable[..., Any]) -> Callable[..., Any]:
    """A route as a multipart file upload or as a JSON body with GeoJSON (both in OpenAPI)."""
    multipart = bp.input(RouteSubmission, location="form_and_files", arg_name="data")(view)
    json_body = PydanticAdapter(RouteSubmission)

    @wraps(multipart)
    def accept(*args: Any, **kwargs: Any) -> Any:
        auth.require_user()  # before reading what may be megabytes
        if request.is_json:
            return view(*args, data=json_body.validate_input(request, "json"), **kwargs)
        return multipart(*args, **kwargs)

    accept._spec["content_type"] = ["multipart/form-data", "application/json"]  # type: ignore[attr-defined]
    return accept


def attachment(content: bytes, mimetype: str, name: str, extension: str) -> Response:
    """A file to download, named after the route in plain ASCII."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower() or "route"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


@bp.post("/routes")
@bp.output(RouteOut, status_code=201)
@bp.doc(responses={409: "The same file was already added", 413: "The file is too large"})
@allows_upload("routes_max_upload_bytes")
@_track_body
def create_route(data: RouteSubmission) -> RouteOut:
    """Add a route: upload a GPX, KML, KMZ, TCX, FIT or GeoJSON file, or send GeoJSON as JSON."""
    if data.file is not None:
        content, filename = data.file.read(), data.file.filename or "route"
        data.file.close()  # a large upload is spooled to a temporary file
    else:
        content, filename = json.dumps(data.geojson).encode(), "route.geojson"
    return _routes().import_route(Upload(filename, content), data.details())


@bp.get("/routes/<int:route_id>/gpx")
@bp.output({}, content_type=GPX, description="The track as a GPX 1.1 file")
def route_gpx(route_id: int) -> Response:
    """Download the whole track as GPX."""
    auth.require_user()
    client = _routes()
    return attachment(client.gpx(route_id).content, GPX, client.route(route_id).name, "gpx")


@bp.get("/routes/<int:route_id>/geojson")
@bp.output(GeoJSON, content_type=GEOJSON)
def route_geojson(route_id: int) -> Response:
    """Download the whole track as GeoJSON."""
    auth.require_user()
    client = _routes()
    content = json.dumps(client.geojson(route_id).model_dump(mode="json")).encode()
    return attachment(content, GEOJSON, client.route(route_id).name, "geojson")
