"""In real Chromium: a route's map draws the configured base map's tiles (served here by a local
tile server), credits that provider, switches to the topographic map and remembers it; with
maps turned off the track is drawn on a plain grid and the page says why."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, Problems
from tests.browser.tiles import TILE_SIZE, TileServer, tile_settings
from tests.builders import PASSWORD, a_person, a_route
from tripbot.platform.settings import TOPO_ATTRIBUTION

pytestmark = pytest.mark.browser

SCREENSHOTS = Path("/tmp/web-maps")
"""Where the route page is pictured at phone and desktop sizes, to look at."""
TILES_DRAWN = """(id) => {
  const tiles = document.querySelectorAll(`#${id} .leaflet-tile-pane img.leaflet-tile-loaded`);
  const shown = Array.from(tiles).filter((img) => {
    const box = img.getBoundingClientRect();
    return img.complete && img.naturalWidth === TILE_SIZE && box.width > 0 && box.height > 0;
  });
  return shown.map((img) => new URL(img.src).pathname);
}""".replace("TILE_SIZE", str(TILE_SIZE))
"""The paths of the tiles drawn on a map: loaded, decoded to the served size, and on screen."""


SCALE = "#route-map .leaflet-control-scale"


def _route_page(
    browser: Browser,
    problems: Problems,
    server: LiveServer,
    viewport: tuple[int, int] = (1280, 800),
) -> Page:
    """Someone with a route logged in and looking at the route's page."""
    with httpx.Client(base_url=server.url) as http:
        ana = a_person(http, display_name="Ana")
        route = a_route(http, ana, name="Vuelta a Bulnes", region="Picos de Europa")
    width, height = viewport
    context = problems.watch(
        browser.new_context(
            base_url=server.url, locale="es-ES", viewport={"width": width, "height": height}
        )
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", ana.email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))
    page.goto(f"/routes/{route['id']}")
    expect(page.locator("#route-map[data-ready=true]")).to_have_count(1)
    return page


def _drawn(page: Page, layer: str) -> list[str]:
    """The paths of the tiles of a layer drawn on the route map, once there are some."""
    page.wait_for_function(
        f"(id) => ({TILES_DRAWN})(id).some((p) => p.startsWith('/{layer}/'))", arg="route-map"
    )
    paths: list[str] = page.evaluate(TILES_DRAWN, "route-map")
    return paths


def _picture(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#route-map").evaluate("(map) => map.scrollIntoView({ block: 'center' })")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")


def test_the_base_map_is_drawn_credited_and_switched_to_the_topographic_one(
    chromium: Browser, live_server: LiveServer, tile_server: TileServer, problems: Problems
) -> None:
    page = _route_page(chromium, problems, live_server)

    drawn = _drawn(page, "map")
    assert drawn
    assert all(p.startswith("/map/") for p in drawn)
    asked = tile_server.asked("map")
    assert {f"/map/{r.z}/{r.x}/{r.y}.png" for r in asked} >= set(drawn)
    # OSM's tile usage policy asks for a valid Referer: the site's origin, never the page path.
    assert {r.referer for r in asked} == {f"{live_server.url}/"}
    assert tile_server.asked("topo") == []
    credit = page.locator("#route-map .leaflet-control-attribution")
    expect(credit).to_contain_text("© Test Tiles")
    expect(credit).not_to_contain_text("OpenStreetMap")
    expect(credit.locator("a[href='https://tiles.test/copyright']")).to_have_text("Test Tiles")
    # The map holds controls, so it is a named region (an image's insides are hidden from
    # screen readers); the layer switch is named in the reader's language.
    expect(page.get_by_role("region", name="Mapa de la ruta")).to_have_id("route-map")
    _picture(page, "route-1280x800")

    # The topographic map is one switch away; its own credit replaces the other's.
    toggle = page.locator("#route-map .leaflet-control-layers-toggle")
    expect(toggle).to_have_attribute("aria-label", "Mapa base")
    # By keyboard alone: Enter opens the switch on the chosen map, an arrow picks the next one,
    # Escape closes it and leaves the focus on its button.
    toggle.focus()
    page.keyboard.press("Enter")
    choices = page.locator("#route-map .leaflet-control-layers-list")
    expect(choices).to_be_visible()
    shown_focus = "() => getComputedStyle(document.activeElement.nextElementSibling).outlineStyle"
    assert page.evaluate(shown_focus) == "solid"  # Materialize hides the radio: its label shows it
    _picture(page, "route-layers-1280x800")
    page.keyboard.press("ArrowDown")
    drawn = _drawn(page, "topo")
    page.keyboard.press("Escape")
    expect(choices).to_be_hidden()
    expect(toggle).to_be_focused()
    assert {r.referer for r in tile_server.asked("topo")} == {f"{live_server.url}/"}
    expect(credit).to_contain_text("© Test Topo")
    expect(credit).not_to_contain_text("Test Tiles")

    # The choice is kept: the next map opens on the topographic layer.
    page.reload()
    expect(page.locator("#route-map[data-ready=true]")).to_have_count(1)
    assert all(p.startswith("/topo/") for p in _drawn(page, "topo"))
    expect(credit).to_contain_text("© Test Topo")
    expect(page.locator("#maps-off")).to_have_count(0)
    assert problems.messages == []


class TestPhone:
    """On a phone the map, its switch and the longest default credit stay inside the screen."""

    @pytest.fixture
    def map_settings(self, tile_server: TileServer) -> dict[str, object]:
        """Local tiles credited with OpenTopoMap's credit, the longest of the defaults."""
        return tile_settings(tile_server, routes_tile_attribution=TOPO_ATTRIBUTION)

    def test_a_phone_sees_the_map_with_its_credit_inside_the_screen(
        self, chromium: Browser, live_server: LiveServer, problems: Problems
    ) -> None:
        page = _route_page(chromium, problems, live_server, viewport=(360, 640))
        assert _drawn(page, "map")
        credit = page.locator("#route-map .leaflet-control-attribution")
        expect(credit).to_contain_text("Map style: © OpenTopoMap")
        expect(credit.locator("a[href='https://opentopomap.org']")).to_have_text("OpenTopoMap")
        for control in (credit, page.locator("#route-map .leaflet-control-layers")):
            box = control.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 360
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        credit_box, scale_box = credit.bounding_box(), page.locator(SCALE).bounding_box()
        assert credit_box is not None
        assert scale_box is not None
        assert scale_box["x"] + scale_box["width"] <= credit_box["x"]  # the scale stays seen
        _picture(page, "route-360x640")
        assert problems.messages == []


class TestMapsOff:
    """The operator turned maps off: no tile is asked for, and the page says so."""

    @pytest.fixture
    def map_settings(self, tile_server: TileServer) -> dict[str, object]:
        """The local tile server stays configured, so any tile asked of it would be seen."""
        return tile_settings(tile_server, routes_maps=False)

    def test_the_track_is_drawn_on_a_plain_grid_with_a_note(
        self,
        chromium: Browser,
        live_server: LiveServer,
        tile_server: TileServer,
        problems: Problems,
    ) -> None:
        page = _route_page(chromium, problems, live_server)
        expect(page.locator("#route-map.no-tiles")).to_have_count(1)
        expect(page.locator("#maps-off")).to_contain_text("mapas base están desactivados")
        expect(page.locator("#route-map .leaflet-overlay-pane path")).not_to_have_count(0)
        expect(page.locator("#route-map .leaflet-tile-pane img")).to_have_count(0)
        expect(page.locator("#route-map .leaflet-control-attribution")).to_have_count(0)
        expect(page.locator("#route-map .leaflet-control-layers")).to_have_count(0)
        _picture(page, "route-maps-off-1280x800")
        assert tile_server.requests == []
        assert problems.messages == []
