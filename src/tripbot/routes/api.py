"""HTTP interface of the routes service: thin handlers over the use cases."""

from __future__ import annotations

from collections.abc import Mapping

from apiflask import APIBlueprint, APIFlask

from tripbot.platform.client import ServiceConnection
from tripbot.platform.db import Database
from tripbot.platform.outbox import feed_blueprint
from tripbot.platform.settings import Settings
from tripbot.platform.web import create_service_app
from tripbot.routes.models import outbox

bp = APIBlueprint("routes", __name__, tag="Routes")


def create_app(
    settings: Settings, database: Database, peers: Mapping[str, ServiceConnection]
) -> APIFlask:
    """The routes service application; it reaches the events service through ``peers``."""
    return create_service_app("routes", settings, database, [bp, feed_blueprint(outbox)], peers)
