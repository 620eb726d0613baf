"""HTTP interface of the agenda service: thin handlers over the use cases."""

from __future__ import annotations

from apiflask import APIBlueprint, APIFlask

from tripbot.agenda.models import outbox
from tripbot.platform.db import Database
from tripbot.platform.outbox import feed_blueprint
from tripbot.platform.settings import Settings
from tripbot.platform.web import create_service_app

bp = APIBlueprint("agenda", __name__, tag="Agenda")


def create_app(settings: Settings, database: Database) -> APIFlask:
    """The agenda service application."""
    return create_service_app("agenda", settings, database, [bp, feed_blueprint(outbox)])
