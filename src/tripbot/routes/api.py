"""HTTP interface of the routes service: thin handlers over the use cases."""

from __future__ import annotations

from apiflask import APIBlueprint, APIFlask

from tripbot.routes.models import outbox
from tripbot.platform.db import Database
from tripbot.platform.outbox import feed_blueprint
from tripbot.platform.settings import Settings
from tripbot.platform.web import create_service_app

bp = APIBlueprint("routes", __name__, tag="Routes")


def create_app(settings: Settings, database: Database) -> APIFlask:
    """The routes service application."""
    return create_service_app("routes", settings, database, [bp, feed_blueprint(outbox)])
