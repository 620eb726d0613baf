"""The composition root: builds services and the gateway for the embedded or distributed mode.

It is the only module that knows every service package; the services know only each other's clients.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from apiflask import APIFlask

from tripbot import SERVICES, agenda, bot, events, gear, ledger, routes
from tripbot.bot.conversation import BotRuntime
from tripbot.clients import Services
from tripbot.platform.client import ServiceConnection
from tripbot.platform.db import Database
from tripbot.platform.follow import FeedFollower
from tripbot.platform.identity import TokenSigner
from tripbot.platform.settings import Settings


def _api(name: str) -> Any:
    """A service's HTTP module, imported when first needed: some load slowly (numpy), and a
    process that runs one service, or the bot, should not pay for the others."""
    return import_module(f"tripbot.{name}.api")


@dataclass(frozen=True)
class ServiceDefinition:
    """How to build and migrate one service."""

    name: str
    migrations: Path
    peers: tuple[str, ...] = ()

    def create_app(
        self, settings: Settings, database: Database, peers: Mapping[str, ServiceConnection]
    ) -> APIFlask:
        """The service's application."""
        app: APIFlask = _api(self.name).create_app(settings, database, peers)
        return app


DEFINITIONS: dict[str, ServiceDefinition] = {
    "events": ServiceDefinition("events", events.MIGRATIONS),
    "routes": ServiceDefinition("routes", routes.MIGRATIONS, ("events",)),
    "gear": ServiceDefinition("gear", gear.MIGRATIONS, ("events",)),
    "ledger": ServiceDefinition("ledger", ledger.MIGRATIONS, ("events",)),
    "agenda": ServiceDefinition("agenda", agenda.MIGRATIONS, ("events",)),
}
assert tuple(DEFINITIONS) == SERVICES


@dataclass
class System:
    """A running TripBot: the gateway, and the services this process hosts."""

    settings: Settings
    gateway: APIFlask
    services: dict[str, APIFlask] = field(default_factory=dict)
    databases: dict[str, Database] = field(default_factory=dict)

    def close(self) -> None:
        """Release connections and pools."""
        self.gateway.extensions["tripbot.services"].close()
        for database in self.databases.values():
            database.dispose()


def _follower(name: str) -> Callable[[APIFlask, Database, ServiceConnection], FeedFollower]:
    def follower(app: APIFlask, database: Database, events: ServiceConnection) -> FeedFollower:
        made: FeedFollower = _api(name).deleted_events_follower(app, database, events)
        return made

    return follower


FOLLOWERS: dict[str, Callable[[APIFlask, Database, ServiceConnection], FeedFollower]] = {
    name: _follower(name) for name in ("routes", "gear", "agenda")
}
"""Services that follow the events service's feed: a deleted event's plan and timetable go,
its gear is freed (the ledger keeps its books: money history is never removed)."""


def start_followers(
    settings: Settings,
    hosted: Mapping[str, tuple[APIFlask, Database]],
    events: ServiceConnection,
) -> list[FeedFollower]:
    """Start the feed followers of the services this process hosts, in background threads."""
    started = []
    for name, (app, database) in hosted.items():
        if name in FOLLOWERS:
            follower = FOLLOWERS[name](app, database, events)
            follower.start(settings.follow_interval)
            started.append(follower)
    return started


MIGRATIONS: dict[str, Path] = {
    **{name: definition.migrations for name, definition in DEFINITIONS.items()},
    "bot": bot.MIGRATIONS,
}
"""Every component that owns a database: the services, then the bot."""


def migrate(name: str, database: Database) -> None:
    """Apply a service's (or the bot's) pending migrations."""
    from tripbot.platform.migrations import upgrade  # Alembic loads slowly

    upgrade(database, MIGRATIONS[name])


def build_service(
    name: str,
    settings: Settings,
    database_url: str | None = None,
    *,
    peers: Mapping[str, ServiceConnection] | None = None,
    run_migrations: bool = True,
) -> tuple[APIFlask, Database]:
    """One service's application over its own database; its peers over HTTP unless given."""
    definition = DEFINITIONS[name]
    database = Database(database_url or settings.database_url_for(name))
    if run_migrations:
        migrate(name, database)
    if peers is None:
        peers = remote_connections(settings, definition.peers)
    return definition.create_app(settings, database, peers), database


def build_gateway(settings: Settings, connections: dict[str, ServiceConnection]) -> APIFlask:
    """The gateway over the given service connections."""
    from tripbot.gateway.app import create_gateway  # not needed by the bot: it loads slowly

    signer = TokenSigner(settings.internal_secret.get_secret_value(), settings.internal_token_ttl)
    return create_gateway(settings, Services(connections, signer))


def remote_connections(
    settings: Settings, names: tuple[str, ...] = SERVICES
) -> dict[str, ServiceConnection]:
    """Connections to services running as their own processes (from ``TRIPBOT_<SERVICE>_URL``)."""
    connections = {}
    for name in names:
        url = getattr(settings, f"{name}_url")
        if not url:
            raise ValueError(f"TRIPBOT_{name.upper()}_URL must say where the {name} service runs")
        connections[name] = ServiceConnection(name, base_url=url, timeout=settings.service_timeout)
    return connections


def build_embedded(
    settings: Settings, database_urls: dict[str, str] | None = None, *, run_migrations: bool = True
) -> System:
    """Every service in this process, each on its own database, behind one gateway."""
    services, databases, connections = _embedded_services(settings, database_urls, run_migrations)
    return System(settings, build_gateway(settings, connections), services, databases)


def _embedded_services(
    settings: Settings, database_urls: dict[str, str] | None, run_migrations: bool
) -> tuple[dict[str, APIFlask], dict[str, Database], dict[str, ServiceConnection]]:
    """Every service's application on its database, and in-process connections to them."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services: dict[str, APIFlask] = {}
    databases: dict[str, Database] = {}
    connections: dict[str, ServiceConnection] = {}
    for name in SERVICES:
        url = (database_urls or {}).get(name)
        peers = {peer: connections[peer] for peer in DEFINITIONS[name].peers}
        app, database = build_service(
            name, settings, url, peers=peers, run_migrations=run_migrations
        )
        services[name], databases[name] = app, database
        connections[name] = ServiceConnection(name, wsgi_app=app, timeout=settings.service_timeout)
    return services, databases, connections


class _BuiltOnFirstCall:
    """A WSGI application built when the first request comes (at most once, thread-safe)."""

    def __init__(self, build: Callable[[], APIFlask]) -> None:
        self._build = build
        self._app: APIFlask | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        """Answer a request, building the application first if needed."""
        app = self._app
        if app is None:
            with self._lock:
                app = self._app = self._app or self._build()
        return app(environ, start_response)


def _lazy_services(settings: Settings, run_migrations: bool) -> dict[str, ServiceConnection]:
    """In-process connections to every service, each built (and migrated) on its first call."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    connections: dict[str, ServiceConnection] = {}
    for name in SERVICES:
        peers = {peer: connections[peer] for peer in DEFINITIONS[name].peers}

        def build(name: str = name, peers: dict[str, ServiceConnection] = peers) -> APIFlask:
            return build_service(name, settings, peers=peers, run_migrations=run_migrations)[0]

        connections[name] = ServiceConnection(
            name, wsgi_app=_BuiltOnFirstCall(build), timeout=settings.service_timeout
        )
    return connections


def build_distributed_gateway(settings: Settings) -> System:
    """The gateway alone, reaching every service over HTTP."""
    return System(settings, build_gateway(settings, remote_connections(settings)))


class MissingServiceUrl(ValueError):
    """Some service URLs are set and others not: the bot runs distributed or not at all."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"{', '.join(missing)} not set, while other TRIPBOT_<SERVICE>_URL are: in "
            "distributed mode the bot needs every service's URL (it would otherwise use empty "
            "local databases for the missing ones)."
        )
        self.missing = missing


def build_bot(
    settings: Settings,
    services: Services | None = None,
    database_url: str | None = None,
    *,
    run_migrations: bool = True,
) -> BotRuntime:
    """The bot's runtime over its own database and TripBot's services: over HTTP when any
    ``TRIPBOT_<SERVICE>_URL`` is set (then every one must be: MissingServiceUrl names those
    that are not), otherwise in this process over the data directory."""
    if services is None:
        given = [name for name in SERVICES if getattr(settings, f"{name}_url")]
        if given and len(given) < len(SERVICES):
            # Half distributed would quietly serve empty local databases for the rest.
            raise MissingServiceUrl(
                [f"TRIPBOT_{name.upper()}_URL" for name in SERVICES if name not in given]
            )
        signer = TokenSigner(
            settings.internal_secret.get_secret_value(), settings.internal_token_ttl
        )
        if given:
            services = Services(remote_connections(settings), signer)
        else:
            # The services alone (no gateway), each built when the bot first calls it: the bot
            # (and its console) start without loading the services they have not needed yet.
            services = Services(_lazy_services(settings, run_migrations), signer)
    database = Database(database_url or settings.database_url_for("bot"))
    if run_migrations:
        migrate("bot", database)
    return BotRuntime(settings, services, database)
