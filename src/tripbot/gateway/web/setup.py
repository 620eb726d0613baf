"""The first administrator's setup checklist: what a club sets up before its first outing,
each step ticked from data that already exists and linked to where it is done."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from tripbot.events.schemas import UserOut
from tripbot.gateway import auth
from tripbot.gateway.web.forms import safe_next
from tripbot.platform.settings import MAPS_OFF, Settings
from tripbot.platform.web import current_settings

bp = Blueprint("setup", __name__)

DISMISSED_COOKIE = "tripbot_setup"
"""Set when an administrator hides the checklist (in that browser: it is a nudge, not a task)."""


@dataclass(frozen=True)
class Step:
    """One thing to set up: whether it is done, and where it is done."""

    key: str
    title: str
    hint: str
    done: bool
    href: str | None
    """The page where it is done; None for a server setting (the hint names it)."""


def _club_step(settings: Settings) -> Step:
    named = bool(settings.club_name)
    zone_chosen = "gear_timezone" in settings.model_fields_set
    return Step(
        "club",
        _("Club name and time zone"),
        _(
            "Set TRIPBOT_CLUB_NAME and TRIPBOT_GEAR_TIMEZONE (now %(zone)s) in the server's "
            "settings.",
            zone=settings.gear_timezone,
        ),
        named and zone_chosen,
        None,
    )


def steps(settings: Settings, users: list[UserOut], gear_items: int) -> list[Step]:
    """The checklist for an instance with these settings, accounts and gear."""
    maps_on = settings.routes_maps and settings.routes_tile_url != MAPS_OFF
    bot_on = settings.bot_token is not None and bool(settings.bot_token.get_secret_value())
    return [
        _club_step(settings),
        Step(
            "maps",
            _("Maps"),
            _("Routes are drawn on a base map (TRIPBOT_ROUTES_TILE_URL)."),
            maps_on,
            url_for("routes.index"),
        ),
        Step(
            "gear",
            _("The first gear item"),
            _("Add a tent, a helmet or a stove to the club's inventory."),
            gear_items > 0,
            url_for("gear.create"),
        ),
        Step(
            "keeper",
            _("A gear keeper"),
            _(
                "Someone who lends and takes back the club's gear: on the People page, choose "
                "Gear keeper next to their name."
            ),
            any(user.role == "gear_keeper" for user in users),
            url_for("account.people"),
        ),
        Step(
            "invitations",
            _("Invite the club"),
            _("Create an event and share its invitation link; done when someone has joined."),
            len(users) > 1,
            url_for("events.create"),
        ),
        Step(
            "telegram",
            _("The Telegram bot"),
            _("Set TRIPBOT_BOT_TOKEN, then link your Telegram account."),
            bot_on,
            url_for("account.profile"),
        ),
    ]


def checklist() -> list[Step] | None:
    """The current person's checklist: only for an administrator who has not hidden it and
    while a step is left."""
    user = auth.current_user()
    if user is None or user.role != "admin" or request.cookies.get(DISMISSED_COOKIE):
        return None
    services = auth.services()
    found = steps(
        current_settings(),
        services.events(auth.principal()).users(),
        len(services.gear(auth.principal()).items()),
    )
    return None if all(step.done for step in found) else found


@bp.post("/setup/dismiss")
@auth.login_required
def dismiss() -> Response:
    """Hide the checklist in this browser."""
    response = redirect(safe_next(request.form.get("next"), url_for("events.index")))
    response.set_cookie(
        DISMISSED_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True
    )
    return response
