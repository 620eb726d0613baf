"""A map tile server on a local port: a small PNG for every z/x/y, and a record of who asked."""

from __future__ import annotations

import re
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TILE = re.compile(r"^/(?P<layer>map|topo)/(?P<z>\d+)/(?P<x>\d+)/(?P<y>\d+)\.png$")
COLOURS = {"map": (0xD8, 0xE8, 0xC8), "topo": (0xF0, 0xDC, 0xB4)}
"""Each layer's fill, so a picture shows which base map is drawn."""
TILE_SIZE = 256
ATTRIBUTION = {"map": "© [Test Tiles](https://tiles.test/copyright)", "topo": "© Test Topo"}
"""The credits the local layers are configured with, in the settings' link syntax."""


def png(colour: tuple[int, int, int], size: int = TILE_SIZE) -> bytes:
    """A square PNG of one colour with a darker one-pixel edge, so tile seams show."""
    edge = bytes(max(c - 48, 0) for c in colour)
    fill = bytes(colour)
    rows = [edge * size] + [edge + fill * (size - 2) + edge] * (size - 2) + [edge * size]
    raw = b"".join(b"\x00" + row for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class TileRequest:
    """One tile asked for: which layer and tile, and the Referer it came with."""

    layer: str
    z: int
    x: int
    y: int
    referer: str | None


@dataclass
class TileServer:
    """A tile server listening on 127.0.0.1, and the tiles asked of it so far."""

    url: str
    requests: list[TileRequest] = field(default_factory=list)
    unreachable: threading.Event = field(default_factory=threading.Event)
    """Set, the server drops every connection unanswered, as when there is no signal."""

    def template(self, layer: str) -> str:
        """The tile URL template of one of its layers (map or topo)."""
        return f"{self.url}/{layer}/{{z}}/{{x}}/{{y}}.png"

    def asked(self, layer: str) -> list[TileRequest]:
        """The tiles of one layer asked for so far."""
        return [r for r in list(self.requests) if r.layer == layer]


@contextmanager
def serve_tiles() -> Iterator[TileServer]:
    """Serve tiles on a free port in a background thread for the duration of the block."""
    tiles = {layer: png(colour) for layer, colour in COLOURS.items()}
    record: list[TileRequest] = []
    unreachable = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if unreachable.is_set():
                self.close_connection = True
                return
            found = TILE.match(self.path)
            if not found:
                self.send_error(404)
                return
            layer = found["layer"]
            record.append(
                TileRequest(
                    layer,
                    int(found["z"]),
                    int(found["x"]),
                    int(found["y"]),
                    self.headers.get("Referer"),
                )
            )
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tiles[layer])))
            self.end_headers()
            self.wfile.write(tiles[layer])

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the record above is what tests read

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="tile-server", daemon=True)
    thread.start()
    try:
        yield TileServer(f"http://127.0.0.1:{server.server_port}", record, unreachable)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def tile_settings(tiles: TileServer, **overrides: object) -> dict[str, object]:
    """Settings whose two base maps are this server's layers, with their credits."""
    values: dict[str, object] = {
        "routes_tile_url": tiles.template("map"),
        "routes_tile_attribution": ATTRIBUTION["map"],
        "routes_topo_tile_url": tiles.template("topo"),
        "routes_topo_tile_attribution": ATTRIBUTION["topo"],
    }
    values.update(overrides)
    return values
