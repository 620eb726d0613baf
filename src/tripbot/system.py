"""The composition root: builds services and the gateway for the embedded or distributed mode.

It is the only module that knows every service package, and the only place that decides how a
call reaches a service: directly in this process (embedded) or over HTTP (distributed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apiflask import APIFlask

from tripbot import SERVICES, agenda, bot, events, gear, ledger, routes
from tripbot.clients import CLIENTS, Services
from tripbot.platform.client import (
    HttpTransport,
    LocalTransport,
    OnFirstCall,
    ServiceClient,
    Transport,
)
from tripbot.platform.db import Database
from tripbot.platform.follow import FeedFollower
from tripbot.platform.identity import SYSTEM, TokenSigner
from tripbot.platform.mail import MailSender
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.settings import Settings
from tripbot.platform.web import NESTED_ACCESS_LOG

if TYPE_CHECKING:  # the Telegram library loads only where a bot runs (~20 MiB, a second)
    from tripbot.bot.conversation import BotRuntime

PEER_TRANSPORTS = "tripbot.peer_transports"
"""Where a service still written as hand-made routes finds its peers' transports."""


def _api(name: str) -> Any:
    """A service's HTTP module, imported when first needed: a process that runs one service, or
    the bot, does not pay for the others."""
    return import_module(f"tripbot.{name}.api")


@dataclass(frozen=True)
class ServiceDefinition:
    """How to build, migrate and reach one service. Every service's ``api`` module has the same
    face: ``create_app(runtime)``, and where it has them ``extras(settings)`` (policies built
    from the settings), ``follower(runtime, events)`` (what it follows of the events feed) and
    ``<source>_follower(runtime, source)`` for each other service it ``follows``."""

    name: str
    migrations: Path
    peers: tuple[str, ...] = ()
    follows: tuple[str, ...] = ()
    """Services whose feeds it follows besides the events service's (it never calls them)."""
    in_process: bool = True
    """Whether its use cases are called directly in one process (it declares its operations)."""

    def create_app(self, runtime: ServiceRuntime) -> APIFlask:
        """The service's HTTP application."""
        api = _api(self.name)
        if not self.in_process:  # hand-made routes, until the service declares its operations
            transports = runtime.extras.get(PEER_TRANSPORTS, {})
            app: APIFlask = api.create_app(runtime.settings, runtime.database, transports)
            return app
        created: APIFlask = api.create_app(runtime)
        return created

    def extras(self, settings: Settings) -> Mapping[str, object]:
        """The service's own policies, built from the settings."""
        make = getattr(_api(self.name), "extras", None) if self.in_process else None
        return make(settings) if make is not None else {}

    def follower(self, runtime: ServiceRuntime, events: ServiceClient) -> FeedFollower | None:
        """The follower of the events service's feed this service runs, if it follows it."""
        api = _api(self.name)
        if not self.in_process:
            legacy = getattr(api, "deleted_events_follower", None)
            return None if legacy is None else legacy(runtime.settings, runtime.database, events)
        make = getattr(api, "follower", None)
        return None if make is None else make(runtime, events)

    def source_followers(
        self, runtime: ServiceRuntime, sources: Mapping[str, ServiceClient]
    ) -> list[FeedFollower]:
        """The followers of the other services' feeds it follows, as TripBot itself."""
        api = _api(self.name)
        return [
            getattr(api, f"{source}_follower")(runtime, sources[source])
            for source in self.follows
            if source in sources
        ]


DEFINITIONS: dict[str, ServiceDefinition] = {
    "events": ServiceDefinition("events", events.MIGRATIONS),
    "routes": ServiceDefinition("routes", routes.MIGRATIONS, ("events",)),
    "gear": ServiceDefinition("gear", gear.MIGRATIONS, ("events",)),
    "ledger": ServiceDefinition("ledger", ledger.MIGRATIONS, ("events",)),
    "agenda": ServiceDefinition("agenda", agenda.MIGRATIONS, ("events",), follows=("routes",)),
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
        cache = self.gateway.extensions.get("tripbot.identity_cache")
        if cache is not None:  # its feed watcher stops before the transports close
            cache.close()
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
    from tripbot.platform.migrations import upgrade  # Alembic loads slowly; a start may not need it

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
    from tripbot.gateway.app import create_gateway  # the bot needs no gateway: it loads slowly

    return create_gateway(settings, Services(dict(transports)))


def build_embedded(
    settings: Settings, database_urls: dict[str, str] | None = None, *, run_migrations: bool = True
) -> System:
    """Every service in this process, each on its own database, behind one gateway; calls
    between them run the use cases directly."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    apps: dict[str, APIFlask] = {}
    runtimes: dict[str, ServiceRuntime] = {}
    transports: dict[str, Transport] = {}
    for name in SERVICES:
        url = (database_urls or {}).get(name)
        app, runtime = build_service(
            name, settings, url, transports=transports, run_migrations=run_migrations
        )
        apps[name], runtimes[name] = app, runtime
        transports[name] = _in_process(app, runtime)
    databases = {name: runtime.database for name, runtime in runtimes.items()}
    return System(settings, build_gateway(settings, transports), apps, databases, runtimes)


def _in_process(app: APIFlask, runtime: ServiceRuntime) -> Transport:
    """How this process reaches a service it hosts: its use cases directly (or its routes, for a
    service still written as hand-made routes)."""
    app.config[NESTED_ACCESS_LOG] = True  # the gateway's record of the request is the one
    if DEFINITIONS[runtime.name].in_process:
        return LocalTransport(runtime)
    settings = runtime.settings
    return HttpTransport(
        runtime.name, signer_for(settings), wsgi_app=app, timeout=settings.service_timeout
    )


def _built_on_first_call(settings: Settings, run_migrations: bool) -> dict[str, Transport]:
    """Every service in this process, each built (and migrated) when it is first called: the bot
    and its console start without building the services they have not needed yet."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    transports: dict[str, Transport] = {}
    for name in SERVICES:

        def build(name: str = name) -> Transport:
            app, runtime = build_service(
                name, settings, transports=transports, run_migrations=run_migrations
            )
            return _in_process(app, runtime)

        transports[name] = OnFirstCall(name, build)
    return transports


def follower_of(runtime: ServiceRuntime, events: Transport) -> FeedFollower | None:
    """The follower of the events service's feed a service runs, if it follows it."""
    return DEFINITIONS[runtime.name].follower(runtime, CLIENTS["events"](events, SYSTEM))


def followers_of(
    runtime: ServiceRuntime, transports: Mapping[str, Transport]
) -> list[FeedFollower]:
    """Every feed follower a service runs: of the events service's feed, and of the other
    services' it follows (those among ``transports``)."""
    found = [follower_of(runtime, transports["events"])]
    sources = {
        name: CLIENTS[name](transports[name], SYSTEM)
        for name in DEFINITIONS[runtime.name].follows
        if name in transports
    }
    found += DEFINITIONS[runtime.name].source_followers(runtime, sources)
    return [follower for follower in found if follower is not None]


def start_followers(
    runtimes: Mapping[str, ServiceRuntime], transports: Mapping[str, Transport]
) -> list[FeedFollower]:
    """Start the feed followers of the services this process hosts, in background threads."""
    started = []
    for runtime in runtimes.values():
        for follower in followers_of(runtime, transports):
            follower.start(runtime.settings.follow_interval)
            started.append(follower)
    return started


def start_mail_sender(runtimes: Mapping[str, ServiceRuntime]) -> MailSender | None:
    """Start the sender of the events service's mail outbox, if this process hosts that service
    and TripBot sends email (only the process holding the sender's lease sends)."""
    runtime = runtimes.get("events")
    if runtime is None:
        return None
    sender = _api("events").mail_sender(runtime)
    if sender is not None:
        sender.start(runtime.settings.mail_interval)
    return sender if isinstance(sender, MailSender) else None


def build_distributed_gateway(settings: Settings) -> System:
    """The gateway alone, reaching every service over HTTP."""
    return System(settings, build_gateway(settings, remote_transports(settings)))


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
        services = Services(
            remote_transports(settings) if given else _built_on_first_call(settings, run_migrations)
        )
    from tripbot.bot.conversation import BotRuntime

    database = Database(database_url or settings.database_url_for("bot"))
    if run_migrations:
        migrate("bot", database)
    return BotRuntime(settings, services, database)
