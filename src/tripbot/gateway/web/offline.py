"""The web as an installable app that works without signal: its manifest, its service worker
and the page shown when a page was never saved for use offline.

The service worker keeps the static files of this release and the pages a person opened, so an
excursion opened once with signal opens again on the mountain (see docs/offline.md).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _

from tripbot import __version__
from tripbot.gateway.web import maps
from tripbot.platform.web import current_settings

bp = Blueprint("offline", __name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
PAGES_CACHE = "tripbot-pages"
"""The cache of pages a person opened; the page script and the worker share its name."""
NETWORK_WAIT_MS = 4000
"""How long a page waits for a weak signal before the saved copy is shown instead."""
MAX_TILES = 300
"""Map tiles kept for use offline (the most recently seen ones)."""
NOT_KEPT = ("/login", "/register", "/logout", "/account", "/invite", "/language", "/offline")
"""Pages never kept for use offline: forms to sign in or out, and the account's secrets."""
KEEPING_HEADER = "X-TripBot-Keeping"
"""Sent by the page script with each page it fetches to keep for use offline."""


def is_keeping() -> bool:
    """Whether this request fetches a page to keep for later, not to show now: such a page
    leaves the session's flash messages to the page the person is reading (fetched in the
    background, it would otherwise take "your payment was recorded" before the redirect's page
    could show it)."""
    return KEEPING_HEADER in request.headers


class KeepingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a page kept for later never sets the
    cookie: fetched in the background with the cookie it had before a form was sent, its
    answer would replace the form's answer's cookie and lose what it carried (the message
    saying the form was done)."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Whether this answer sets the session cookie."""
        return not is_keeping() and super().should_set_cookie(app, session)


@cache
def _static_files() -> tuple[tuple[str, ...], str]:
    """Every static file's path under /static, and a digest of their contents: a new release
    with changed files gets a new worker, which replaces the files it keeps."""
    digest = hashlib.sha256(__version__.encode())
    files = []
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file() and not p.name.startswith(".")):
        relative = path.relative_to(STATIC).as_posix()
        digest.update(relative.encode())
        digest.update(path.read_bytes())
        files.append(relative)
    return tuple(files), digest.hexdigest()[:16]


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, at the site's root so that it serves every page."""
    files, digest = _static_files()
    body = render_template(
        "offline/sw.js",
        release=digest,
        static=[url_for("static", filename=name) for name in files],
        offline_page=url_for("offline.page"),
        pages_cache=PAGES_CACHE,
        network_wait=NETWORK_WAIT_MS,
        max_tiles=MAX_TILES,
        not_kept=NOT_KEPT,
    )
    response = current_app.response_class(body, mimetype="text/javascript")
    # Browsers look for a new worker on every visit; a stale copy would delay a release's files.
    response.headers["Cache-Control"] = "no-cache"
    # A worker lives by its own policy: it fetches the map tiles the pages may show, no more.
    tiles = maps.image_sources(current_settings())
    response.headers["Content-Security-Policy"] = f"default-src 'self'; connect-src {tiles}"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """What a phone needs to install TripBot as an app on its home screen."""
    body = render_template("offline/manifest.webmanifest")
    return current_app.response_class(body, mimetype="application/manifest+json")


@bp.get("/offline")
def page() -> str:
    """Said when a page that was never saved is opened without signal."""
    return render_template("offline/offline.html", title=_("No connection"))


@bp.app_context_processor
def _page_time() -> dict[str, str]:
    # Said on a saved copy shown without signal: when the page was made.
    return {"page_time": datetime.now(UTC).isoformat(timespec="seconds")}
