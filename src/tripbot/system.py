"""The composition root: builds services and the gateway for the embedded or distributed mode.

It is the only module that knows every service package, and the only place that decides how a
call reaches a service: directly in this process (embedded) or over HTTP (distributed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiflask import APIFlask

from tripbot import SERVICES, agenda, bot, events, gear, ledger, routes
from tripbot.agenda import api as agenda_api
from tripbot.bot.conversation import BotRuntime
from tripbot.clients import CLIENTS, Services
from tripbot.events import api as events_api
from tripbot.gateway.app import create_gateway
from tripbot.gear import api as gear_api
from tripbot.ledger import api as ledger_api
from tripbot.platform.client import HttpTransport, LocalTransport, ServiceClient, Transport
from tripbot.platform.db import Database
from tripbot.platform.follow import FeedFollower
from tripbot.platform.identity import SYSTEM, TokenSigner
from tripbot.platform.migrations import upgrade
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.settings import Settings
from tripbot.platform.web import NESTED_ACCESS_LOG
from tripbot.routes import api as routes_api

PEER_TRANSPORTS = "tripbot.peer_transports"
"""Where a service still written as hand-made routes finds its peers' transports."""


@dataclass(frozen=True)
class ServiceDefinition:
    """How to build, migrate and reach one service."""

    name: str
    create_app: Callable[[ServiceRuntime], APIFlask]
    migrations: Path
    peers: tuple[str, ...] = ()
    extras: Callable[[Settings], Mapping[str, object]] = lambda _settings: {}
    follows: Callable[[ServiceRuntime, ServiceClient], FeedFollower] | None = None
    """The follower of another service's feed this service runs, if any."""
    in_process: bool = True
    """Whether its use cases are called directly in one process (it declares its operations)."""


def _legacy(
    create_app: Callable[[Settings, Database, Mapping[str, Transport]], APIFlask],
) -> Callable[[ServiceRuntime], APIFlask]:
    def create(runtime: ServiceRuntime) -> APIFlask:
        transports: Any = runtime.extras.get(PEER_TRANSPORTS, {})
        return create_app(runtime.settings, runtime.database, transports)

    return create


def _legacy_follower(
    follower: Callable[[Settings, Database, ServiceClient], FeedFollower],
) -> Callable[[ServiceRuntime, ServiceClient], FeedFollower]:
    def follows(runtime: ServiceRuntime, events_client: ServiceClient) -> FeedFollower:
        return follower(runtime.settings, runtime.database, events_client)

    return follows


DEFINITIONS: dict[str, ServiceDefinition] = {
    "events": ServiceDefinition(
        "events", _legacy(events_api.create_app), events.MIGRATIONS, in_process=False
    ),
    "routes": ServiceDefinition(
        "routes",
        _legacy(routes_api.create_app),
        routes.MIGRATIONS,
        ("events",),
        follows=_legacy_follower(routes_api.deleted_events_follower),
        in_process=False,
    ),
    "gear": ServiceDefinition(
        "gear",
        _legacy(gear_api.create_app),
        gear.MIGRATIONS,
        ("events",),
        follows=_legacy_follower(gear_api.deleted_events_follower),
        in_process=False,
    ),
    "ledger": ServiceDefinition("ledger", ledger_api.create_app, ledger.MIGRATIONS, ("events",)),
    "agenda": ServiceDefinition(
        "agenda",
        _legacy(agenda_api.create_app),
        agenda.MIGRATIONS,
        ("events",),
        follows=_legacy_follower(agenda_api.deleted_events_follower),
        in_process=False,
    ),
}
assert tuple(DEFINITIONS) == SERVICES


@dataclass
class System:
    """A running TripBot: the gateway, and the services this process hosts."""

    settings: Settings
    gateway: APIFlask
    services: dict[str, APIFlask] = field(default_factory=dict)
    databases: dict[str, Database] = field(default_factory=dict)
    runtimes: dict[str, ServiceRuntime] = field(default_factory=dict)

    @property
    def clients(self) -> Services:
        """Every service's client, as the gateway reaches them."""
        services: Services = self.gateway.extensions["tripbot.services"]
        return services

    def close(self) -> None:
        """Release connections and pools."""
        self.clients.close()
        for database in self.databases.values():
            database.dispose()


MIGRATIONS: dict[str, Path] = {
    **{name: definition.migrations for name, definition in DEFINITIONS.items()},
    "bot": bot.MIGRATIONS,
}
"""Every component that owns a database: the services, then the bot."""


def migrate(name: str, database: Database) -> None:
    """Apply a service's (or the bot's) pending migrations."""
    upgrade(database, MIGRATIONS[name])


def signer_for(settings: Settings) -> TokenSigner:
    """The signer of internal tokens of this installation."""
    return TokenSigner(settings.internal_secret.get_secret_value(), settings.internal_token_ttl)


def runtime_of(
    name: str, settings: Settings, database: Database, transports: Mapping[str, Transport]
) -> ServiceRuntime:
    """What a service's use cases run on, its peers reached through ``transports``."""
    definition = DEFINITIONS[name]
    peers = {
        peer: (lambda principal, peer=peer: CLIENTS[peer](transports[peer], principal))
        for peer in definition.peers
        if peer in transports
    }
    extras = {**definition.extras(settings), PEER_TRANSPORTS: dict(transports)}
    return ServiceRuntime(name, settings, database, peers, extras)


def remote_transports(
    settings: Settings, names: tuple[str, ...] = SERVICES
) -> dict[str, Transport]:
    """Transports to services running as their own processes (``TRIPBOT_<SERVICE>_URL``)."""
    signer, transports = signer_for(settings), dict[str, Transport]()
    for name in names:
        url = getattr(settings, f"{name}_url")
        if not url:
            raise ValueError(f"TRIPBOT_{name.upper()}_URL must say where the {name} service runs")
        transports[name] = HttpTransport(
            name, signer, base_url=url, timeout=settings.service_timeout
        )
    return transports


def migrate_service(name: str, settings: Settings) -> None:
    """Apply a service's pending migrations to the database its settings name."""
    database = Database(settings.database_url_for(name))
    try:
        migrate(name, database)
    finally:
        database.dispose()


def build_service(
    name: str,
    settings: Settings,
    database_url: str | None = None,
    *,
    transports: Mapping[str, Transport] | None = None,
    run_migrations: bool = True,
) -> tuple[APIFlask, ServiceRuntime]:
    """One service's application over its own database; its peers over HTTP unless given."""
    definition = DEFINITIONS[name]
    database = Database(database_url or settings.database_url_for(name))
    if run_migrations:
        migrate(name, database)
    if transports is None:
        transports = remote_transports(settings, definition.peers)
    runtime = runtime_of(name, settings, database, transports)
    return definition.create_app(runtime), runtime


def build_gateway(settings: Settings, transports: Mapping[str, Transport]) -> APIFlask:
    """The gateway over the given transports."""
    return create_gateway(settings, Services(dict(transports)))


def build_embedded(
    settings: Settings, database_urls: dict[str, str] | None = None, *, run_migrations: bool = True
) -> System:
    """Every service in this process, each on its own database, behind one gateway; calls
    between them run the use cases directly."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    apps: dict[str, APIFlask] = {}
    runtimes: dict[str, ServiceRuntime] = {}
    transports: dict[str, Transport] = {}
    for name in SERVICES:
        definition = DEFINITIONS[name]
        url = (database_urls or {}).get(name)
        app, runtime = build_service(
            name, settings, url, transports=transports, run_migrations=run_migrations
        )
        app.config[NESTED_ACCESS_LOG] = True  # the gateway's record of the request is the one
        apps[name], runtimes[name] = app, runtime
        transports[name] = (
            LocalTransport(runtime)
            if definition.in_process
            else HttpTransport(
                name, signer_for(settings), wsgi_app=app, timeout=settings.service_timeout
            )
        )
    databases = {name: runtime.database for name, runtime in runtimes.items()}
    return System(settings, build_gateway(settings, transports), apps, databases, runtimes)


def follower_of(runtime: ServiceRuntime, events: Transport) -> FeedFollower | None:
    """The follower of the events service's feed a service runs, if it follows it."""
    follows = DEFINITIONS[runtime.name].follows
    return None if follows is None else follows(runtime, CLIENTS["events"](events, SYSTEM))


def start_followers(
    runtimes: Mapping[str, ServiceRuntime], events: Transport
) -> list[FeedFollower]:
    """Start the feed followers of the services this process hosts, in background threads."""
    started = []
    for runtime in runtimes.values():
        follower = follower_of(runtime, events)
        if follower is not None:
            follower.start(runtime.settings.follow_interval)
            started.append(follower)
    return started


def build_distributed_gateway(settings: Settings) -> System:
    """The gateway alone, reaching every service over HTTP."""
    return System(settings, build_gateway(settings, remote_transports(settings)))


def build_bot(
    settings: Settings,
    services: Services | None = None,
    database_url: str | None = None,
    *,
    run_migrations: bool = True,
) -> BotRuntime:
    """The bot's runtime over its own database and TripBot's services: over HTTP when every
    ``TRIPBOT_<SERVICE>_URL`` is set, otherwise in this process over the data directory."""
    if services is None:
        if all(getattr(settings, f"{name}_url") for name in SERVICES):
            services = Services(remote_transports(settings))
        else:
            services = build_embedded(settings).clients
    database = Database(database_url or settings.database_url_for("bot"))
    if run_migrations:
        migrate("bot", database)
    return BotRuntime(settings, services, database)
