"""Home page, language switch and system status."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from tripbot.gateway import auth
from tripbot.gateway.i18n import LANGUAGE_COOKIE, LANGUAGES
from tripbot.gateway.web.forms import safe_next
from tripbot.platform.errors import ServiceUnavailable

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str | Response:
    """Landing page for visitors; the event list for people who are logged in."""
    try:
        user = auth.current_user()
    except ServiceUnavailable as error:
        return render_template("main/index.html", unavailable=error.extensions.get("service"))
    if user is not None:
        return redirect(url_for("events.index"))
    return render_template("main/index.html", unavailable=None)


@bp.post("/language")
def set_language() -> Response:
    """Remember the chosen UI language in a cookie and go back."""
    language = request.form.get("language", "")
    response = redirect(safe_next(request.form.get("next"), url_for("main.index")))
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


@bp.get("/status")
def status() -> str:
    """Which parts of TripBot are up."""
    return render_template("main/status.html", ready=auth.services().readiness())
