"""HTTP interface of the agenda service: thin handlers over the use cases."""

from __future__ import annotations

from collections.abc import Mapping

from apiflask import APIBlueprint, APIFlask

from tripbot.agenda.models import outbox
from tripbot.platform.client import ServiceConnection
from tripbot.platform.db import Database
from tripbot.platform.outbox import feed_blueprint
from tripbot.platform.settings import Settings
from tripbot.platform.web import create_service_app

bp = APIBlueprint("agenda", __name__, tag="Agenda")


def create_app(
    settings: Settings, database: Database, peers: Mapping[str, ServiceConnection]
) -> APIFlask:
    """The agenda service application; it reaches the events service through ``peers``."""
    return create_service_app("agenda", settings, database, [bp, feed_blueprint(outbox)], peers)
