"""A live TripBot on a real port, and a real Chromium to drive it (Debian's, never downloaded)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)
from werkzeug.serving import make_server

from tests.browser.tiles import TileServer, serve_tiles, tile_settings
from tests.conftest import make_settings
from tests.databases import IN_CI
from tripbot.system import System, build_embedded

CHROMIUM = Path("/usr/bin/chromium")
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BOT_USERNAME = "TripBotClubBot"
"""The Telegram bot the live server's account page links to."""


RECORD_COPIES = """
window.__copied = [];
if (navigator.clipboard) {
  const write = navigator.clipboard.writeText.bind(navigator.clipboard);
  navigator.clipboard.writeText = (text) =>
    write(text).then(() => { window.__copied.push(text); });
}
document.addEventListener("copy", () => {
  const active = document.activeElement;
  const text = active && typeof active.selectionStart === "number"
    ? active.value.slice(active.selectionStart, active.selectionEnd)
    : String(document.getSelection());
  window.__copied.push(text);
});
"""
"""Records in the page what it put on the clipboard, by either way of copying. The clipboard
itself is shared by every page of the browser, so reading it back could see another test's text."""


@dataclass
class LiveServer:
    """The embedded system served over HTTP on 127.0.0.1."""

    url: str
    system: System
    stop: Callable[[], None] = lambda: None
    """Stop answering (as a phone on a mountain finds it): connections are refused."""


@dataclass
class Problems:
    """What went wrong in a browser context: console errors, page errors, failed requests."""

    messages: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> BrowserContext:
        """Record the problems of every page of a context."""
        context.expose_binding("reportCspViolation", self._csp)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.add_init_script(RECORD_COPIES)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.messages.append(f"page error: {error.error}"))
        context.on("requestfailed", self._failed)
        context.on("response", self._response)
        return context

    def _csp(self, _source: object, violation: str) -> None:
        self.messages.append(f"CSP violation: {violation}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.messages.append(f"console {message.type}: {message.text}")

    def _failed(self, request: Request) -> None:
        # A navigation cancels what the previous page was still loading: that is no failure.
        if request.failure != "net::ERR_ABORTED":
            self.messages.append(f"failed: {request.url} {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 500 or (response.status >= 400 and "/static/" in response.url):
            self.messages.append(f"HTTP {response.status}: {response.url}")


def _not_ready(_environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def press_copy(page: Page, button: str, text: str, timeout: float = 5.0) -> None:
    """Press a Copy button as a person does and wait until the page copied the text (it is
    written asynchronously). A busy machine can leave the page without focus, when the product
    says the copy failed: a person presses again, and so does this."""
    deadline = time.monotonic() + timeout
    copied: list[str] = []
    while text not in copied and time.monotonic() < deadline:
        page.bring_to_front()
        page.click(button)
        pressed = time.monotonic()
        while text not in (copied := page.evaluate("() => window.__copied || []")):
            if time.monotonic() - pressed > 1.0:
                break
            page.wait_for_timeout(50)
    assert text in copied


@pytest.fixture
def tile_server() -> Iterator[TileServer]:
    """Map tiles on a free local port: browser tests never reach the internet's tile servers."""
    with serve_tiles() as tiles:
        yield tiles


@pytest.fixture
def map_settings(tile_server: TileServer) -> dict[str, object]:
    """Settings that point both base maps of a live server at the local tile server."""
    return tile_settings(tile_server)


@pytest.fixture
def live_server(tmp_path: Path, map_settings: dict[str, object]) -> Iterator[LiveServer]:
    """TripBot embedded on SQLite, served by werkzeug in a background thread on a free port."""
    server = make_server("127.0.0.1", 0, _not_ready, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = make_settings(tmp_path, public_url=url, bot_username=BOT_USERNAME, **map_settings)
    system = build_embedded(settings)
    server.app = system.gateway
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()

    def stop() -> None:
        if thread.is_alive():
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()

    try:
        yield LiveServer(url, system, stop)
    finally:
        stop()
        system.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless; skipped visibly if missing (a failure in CI)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def problems() -> Problems:
    """The browser problems seen during a test; it should end with none."""
    return Problems()
