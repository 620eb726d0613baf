"""Base maps under route maps: the configured tile layers, their credits, and their CSP hosts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from tripbot.gateway.web.forms import _
from tripbot.platform.settings import MAPS_OFF, Settings
from tripbot.routes.schemas import PlanOut

LINK = re.compile(r"\[([^\[\]]+)\]\((https?://[^\s()]+)\)")
"""A credit's link, written [text](https://...): the only markup a credit may hold."""

SETTING = {"map": "TRIPBOT_ROUTES_TILE_URL", "topo": "TRIPBOT_ROUTES_TOPO_TILE_URL"}
"""The setting that gives each layer's tiles, named when its URL is refused."""


@dataclass(frozen=True)
class TileLayer:
    """One base map a map may show: where its tiles are and whom to credit."""

    id: str
    url: str
    attribution: str
    max_zoom: int


def tile_origin(template: str, setting: str = "TRIPBOT_ROUTES_TILE_URL") -> str:
    """The CSP source of a map tile URL template: scheme://host[:port], ``{s}.`` host → ``*.``."""
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{setting} is not an http(s) URL: {template!r}")
    labels = parts.hostname.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:  # CSP has one wildcard, for the leftmost labels
        labels = ["*", *labels[templated[-1] + 1 :]]
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{'.'.join(labels)}{port}"


def attribution_html(credit: str) -> Markup:
    """A credit as HTML: its text escaped, each [text](http(s) URL) made a link."""
    html, done = [], 0
    for link in LINK.finditer(credit):
        html.append(escape(credit[done : link.start()]))
        html.append(Markup('<a href="{}">{}</a>').format(link.group(2), link.group(1)))
        done = link.end()
    html.append(escape(credit[done:]))
    return Markup("").join(html)


def tile_layers(settings: Settings) -> tuple[TileLayer, ...]:
    """The base maps offered, the default first; none when the operator turned maps off."""
    if not settings.routes_maps:
        return ()
    layers = [
        TileLayer(
            "map",
            settings.routes_tile_url,
            settings.routes_tile_attribution,
            settings.routes_tile_max_zoom,
        )
    ]
    if settings.routes_topo_tile_url != MAPS_OFF:
        layers.append(
            TileLayer(
                "topo",
                settings.routes_topo_tile_url,
                settings.routes_topo_tile_attribution,
                settings.routes_topo_tile_max_zoom,
            )
        )
    return tuple(layers)


def image_sources(settings: Settings) -> str:
    """The CSP img-src: the site itself, data: URLs, and the hosts of the configured tiles."""
    origins = dict.fromkeys(
        tile_origin(layer.url, SETTING[layer.id]) for layer in tile_layers(settings)
    )
    return " ".join(["'self'", "data:", *origins])


def layers_for_page(settings: Settings) -> list[dict[str, object]]:
    """The base maps as a page's map script reads them: names in the reader's language."""
    names = {"map": _("Map"), "topo": _("Topographic")}
    return [
        {
            "id": layer.id,
            "name": names[layer.id],
            "url": layer.url,
            "attribution": str(attribution_html(layer.attribution)),
            "maxZoom": layer.max_zoom,
        }
        for layer in tile_layers(settings)
    ]


def plan_map(plan: PlanOut) -> dict[str, object]:
    """A plan's tracks and meeting point as the map script reads them."""
    meeting = [plan.meeting_lat, plan.meeting_lon] if plan.meeting_lat is not None else None
    routes = [
        {"name": stop.route.name, "geometry": stop.geometry, "position": stop.position}
        for stop in plan.routes
    ]
    return {"routes": routes, "meeting": meeting}
