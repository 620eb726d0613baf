"""Base maps: OpenStreetMap with its credit out of the box, a topographic switch, each
provider's own credit, and a Content-Security-Policy that follows the configured tile hosts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient
from pydantic import ValidationError

from tests.builders import a_route
from tests.conftest import make_settings
from tests.gateway.test_web_pages import a_guest
from tripbot.gateway.app import create_gateway
from tripbot.gateway.services import Services
from tripbot.gateway.web.maps import attribution_html
from tripbot.platform.settings import Settings

LAYERS = re.compile(r'<script type="application/json" id="map-layers">(.*?)</script>', re.S)


def _image_sources(tmp_path: Path, **settings: object) -> str:
    """The CSP img-src of a gateway with these settings (its liveness check asks no service)."""
    gateway = create_gateway(make_settings(tmp_path, **settings), Services({}))
    policy = gateway.test_client().get("/healthz").headers["Content-Security-Policy"]
    return next(d for d in policy.split("; ") if d.startswith("img-src "))


def test_out_of_the_box_a_route_is_drawn_on_openstreetmap_with_its_credit(
    client: FlaskClient, http: httpx.Client
) -> None:
    ana = a_guest(client, http)
    route = a_route(http, ana, name="Ruta de los Lagos")
    page = client.get(f"/routes/{route['id']}")
    found = LAYERS.search(page.text)
    assert found is not None
    standard, topographic = json.loads(found.group(1))
    assert standard == {
        "id": "map",
        "name": "Mapa",
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attribution": '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
        " contributors",
        "maxZoom": 19,
    }
    assert topographic["name"] == "Topográfico"
    assert topographic["url"] == "https://{s}.tile.opentopomap.org/{z}/{x}/{y}.png"
    assert topographic["maxZoom"] == 17
    assert '© <a href="https://opentopomap.org">OpenTopoMap</a>' in topographic["attribution"]
    assert "OpenStreetMap</a> contributors" in topographic["attribution"]
    assert 'id="maps-off"' not in page.text
    assert "no-tiles" not in page.text
    images = "img-src 'self' data: https://tile.openstreetmap.org https://*.tile.opentopomap.org"
    assert f"{images};" in page.headers["Content-Security-Policy"]


def test_the_csp_lets_images_come_only_from_the_configured_tile_hosts(tmp_path: Path) -> None:
    own = _image_sources(
        tmp_path,
        routes_tile_url="https://tiles.club.example:8443/osm/{z}/{x}/{y}.png",
        routes_tile_attribution="© OpenStreetMap contributors",
        routes_topo_tile_url="https://{s}.topo.example.org/{z}/{x}/{y}.png",
        routes_topo_tile_attribution="© Topo Example",
    )
    assert own == "img-src 'self' data: https://tiles.club.example:8443 https://*.topo.example.org"
    same_host = _image_sources(
        tmp_path,
        routes_tile_url="https://tiles.club.example/osm/{z}/{x}/{y}.png",
        routes_tile_attribution="© OpenStreetMap contributors",
        routes_topo_tile_url="https://tiles.club.example/topo/{z}/{x}/{y}.png",
        routes_topo_tile_attribution="© OpenStreetMap contributors, SRTM",
    )
    assert same_host == "img-src 'self' data: https://tiles.club.example"
    no_topo = _image_sources(tmp_path, routes_topo_tile_url="off")
    assert no_topo == "img-src 'self' data: https://tile.openstreetmap.org"
    assert _image_sources(tmp_path, routes_maps=False) == "img-src 'self' data:"


def test_a_tile_url_that_is_not_http_stops_the_gateway(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TRIPBOT_ROUTES_TOPO_TILE_URL is not an http"):
        _image_sources(
            tmp_path, routes_topo_tile_url="tiles/{z}/{x}/{y}.png", routes_topo_tile_attribution="x"
        )


@pytest.mark.parametrize(
    ("url", "credit"),
    [
        ("routes_tile_url", "TRIPBOT_ROUTES_TILE_ATTRIBUTION"),
        ("routes_topo_tile_url", "TRIPBOT_ROUTES_TOPO_TILE_ATTRIBUTION"),
    ],
)
def test_another_tile_server_must_come_with_its_own_credit(
    tmp_path: Path, url: str, credit: str
) -> None:
    other = "https://tiles.example.org/{z}/{x}/{y}.png"
    with pytest.raises(ValidationError, match=credit):
        make_settings(tmp_path, **{url: other})
    credited = make_settings(tmp_path, **{url: other, url.replace("url", "attribution"): "© Ex"})
    assert getattr(credited, url) == other


@pytest.mark.usefixtures("cli_environment")
def test_empty_variables_keep_the_defaults_and_false_turns_maps_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Compose passes an unset ${VAR:-} as an empty string: that must mean the default.
    for name in ("MAPS", "TILE_URL", "TILE_ATTRIBUTION", "TOPO_TILE_URL", "TOPO_TILE_MAX_ZOOM"):
        monkeypatch.setenv(f"TRIPBOT_ROUTES_{name}", "")
    defaults = Settings()
    assert defaults.routes_maps is True
    assert defaults.routes_tile_url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert defaults.routes_topo_tile_max_zoom == 17
    monkeypatch.setenv("TRIPBOT_ROUTES_MAPS", "false")
    assert Settings().routes_maps is False


def test_turning_the_topographic_map_off_needs_no_credit(tmp_path: Path) -> None:
    assert make_settings(tmp_path, routes_topo_tile_url="off").routes_topo_tile_url == "off"


def test_a_credit_is_text_with_web_links_and_nothing_else() -> None:
    credit = '<b>Tiles</b> © [A & B](https://a.example/c?x=1&y="2") [js](javascript:alert(1))'
    assert str(attribution_html(credit)) == (
        "&lt;b&gt;Tiles&lt;/b&gt; © "
        '<a href="https://a.example/c?x=1&amp;y=&#34;2&#34;">A &amp; B</a> '
        "[js](javascript:alert(1))"
    )
