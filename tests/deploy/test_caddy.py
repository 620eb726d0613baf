"""deploy/caddy/Caddyfile, adapted by Caddy itself (`caddy adapt`) and then run for real on
loopback in front of stand-ins for the gateway and the bot's webhook: probes and metrics stay
inside, Telegram's updates reach the bot, the rest the gateway, HSTS only over HTTPS."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.conftest import DEPLOY, tool
from tests.processes import free_port

CADDYFILE = DEPLOY / "caddy" / "Caddyfile"


def adapt(site_address: str) -> dict[str, Any]:
    """The Caddyfile as Caddy's JSON configuration."""
    result = subprocess.run(
        [tool("caddy"), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**os.environ, "TRIPBOT_SITE_ADDRESS": site_address},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    adapted: dict[str, Any] = json.loads(result.stdout)
    return adapted


def test_a_domain_name_gets_https_and_hsts() -> None:
    config = json.dumps(adapt("tripbot.example.org"))
    assert '"listen":[":443"]' in config.replace(" ", "")
    assert '"Strict-Transport-Security":["max-age=31536000"]' in config.replace(" ", "")
    assert '"protocol":"https"' in config.replace(" ", "")


class Upstream(BaseHTTPRequestHandler):
    """Answers with its own name and the path it got."""

    name = "upstream"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = f"{self.name} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return


def serve(name: str) -> tuple[ThreadingHTTPServer, int]:
    """A stand-in upstream on a free loopback port."""
    handler = type(name, (Upstream,), {"name": name})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def caddy(tmp_path: Path) -> Iterator[str]:
    """Caddy running the Caddyfile on plain HTTP, the upstreams' names pointed at stand-ins."""
    gateway, gateway_port = serve("gateway")
    bot, bot_port = serve("bot")
    port = free_port()
    config = json.dumps(adapt(f":{port}"))
    config = config.replace("gateway:8000", f"127.0.0.1:{gateway_port}")
    config = config.replace("bot:8443", f"127.0.0.1:{bot_port}")
    adapted = json.loads(config)
    adapted["admin"] = {"disabled": True}
    adapted.setdefault("storage", {"module": "file_system", "root": str(tmp_path / "data")})
    (tmp_path / "caddy.json").write_text(json.dumps(adapted))
    process = subprocess.Popen(
        [tool("caddy"), "run", "--config", str(tmp_path / "caddy.json")],
        env={**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "caddy did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        for server in (gateway, bot):
            server.shutdown()
            server.server_close()


def test_probes_stay_inside_telegram_reaches_the_bot_the_rest_the_gateway(caddy: str) -> None:
    with httpx.Client(base_url=caddy, timeout=5) as http:
        for inside in ("/metrics", "/healthz", "/readyz"):
            assert http.get(inside).status_code == 404, inside
        update = http.post("/telegram", json={"update_id": 1})
        assert update.text == "bot /telegram"
        page = http.get("/events/3")
        assert page.text == "gateway /events/3"
        assert http.get("/api/v1/telegram/link").text.startswith("gateway ")
        assert "Strict-Transport-Security" not in page.headers  # plain HTTP: not sent
