"""The ``tripbot`` command: run the whole system, serve one service, migrate, manage users."""

from __future__ import annotations

import os
import signal
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tripbot import SERVICES, __version__
from tripbot.bot_cli import bot_app
from tripbot.cli_settings import console, load_settings
from tripbot.platform.errors import DomainError
from tripbot.platform.logging import configure_logging, syslog_target
from tripbot.platform.settings import Settings, with_local_secrets
from tripbot.routes_cli import routes_app

app = typer.Typer(
    help="TripBot: outings and events for clubs, from the web or Telegram.", no_args_is_help=True
)
user_app = typer.Typer(help="Manage accounts from the server's command line.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(routes_app, name="routes")
app.add_typer(bot_app, name="bot")

ServiceName = Enum("ServiceName", {name: name for name in (*SERVICES, "gateway")}, type=str)  # type: ignore[misc]


def _stop_on_sigterm() -> None:
    """Let SIGTERM (docker stop, Kubernetes) stop the server cleanly, flushing queued logs."""

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tripbot {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """TripBot's command line."""


@app.command()
def run(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the web UI and API.")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="Where the SQLite files live.")] = Path("var"),
    demo: Annotated[bool, typer.Option(help="Load a small demo club on first run.")] = False,
) -> None:
    """Run every service in this process (embedded mode): SQLite, one port, nothing else needed."""
    from waitress import create_server

    from tripbot.system import build_embedded, start_followers, start_mail_sender

    started = time.perf_counter()
    logins: list[str] = []
    settings = with_local_secrets(load_settings(data_dir))
    if "TRIPBOT_PUBLIC_URL" not in os.environ:
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    configure_logging(settings.log_level, settings.log_format, syslog=syslog_target(settings))
    _stop_on_sigterm()
    system = build_embedded(settings)
    start_followers(system.runtimes, system.clients.transports)
    start_mail_sender(system.runtimes)
    if demo:
        from tripbot.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_demo
        from tripbot.events.schemas import UserOut, UserRegister
        from tripbot.events.service import accounts

        # The operator asked for the demo: its people get accounts even when registration is
        # by invitation only, as with `tripbot user create`.
        operator = accounts.operator_call(system.runtimes["events"])

        def open_account(data: UserRegister) -> UserOut:
            """A demo person's account, opened in the events database as the operator."""
            return accounts.register(operator, data)

        loaded = load_demo(system.gateway.extensions["tripbot.services"], open_account)
        logins = [
            f"Demo club{' loaded' if loaded else ''}: log in with the password {DEMO_PASSWORD} as",
            *(f"  {email}  ({name})" for email, name in DEMO_PEOPLE),
        ]
    if settings.bot_token is not None and settings.bot_token.get_secret_value():
        from tripbot.bot.link import TelegramLink
        from tripbot.bot.runner import start_in_background
        from tripbot.system import build_bot

        services = system.gateway.extensions["tripbot.services"]
        link = system.gateway.extensions["tripbot.bot_link"] = TelegramLink()
        start_in_background(
            build_bot(settings, services), settings.bot_token.get_secret_value(), link
        )
        logins.append("The Telegram bot runs in this process too (TRIPBOT_BOT_TOKEN is set).")
    # Listening before saying where: the block is the last thing start-up writes.
    server = create_server(system.gateway, host=host, port=port, threads=8, ident="TripBot")
    _say_ready(
        f"TripBot {__version__} is ready ({time.perf_counter() - started:.1f} s).",
        f"  Open  http://{host}:{port}",
        f"  Data  {settings.data_dir.resolve()}",
        *(f"  {line}" for line in logins),
        "  Stop with Ctrl+C.",
    )
    server.run()


def _say_ready(*lines: str) -> None:
    """The end of start-up as a block of plain lines on stderr: never wrapped or coloured, so
    a URL stays whole, and apart from the log records on stdout."""
    sys.stdout.flush()
    sys.stderr.write("\n" + "\n".join(lines) + "\n\n")
    sys.stderr.flush()


@app.command()
def serve(  # noqa: PLR0917 - typer passes every option by position
    service: Annotated[ServiceName, typer.Argument(help="The service this process runs.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    migrate: Annotated[bool, typer.Option(help="Apply pending migrations before serving.")] = True,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: TRIPBOT_WORKERS, or one per core).", min=1),
    ] = None,
    threads: Annotated[int, typer.Option(help="Threads of each worker process.")] = 8,
) -> None:
    """Run one service (distributed mode) under gunicorn, configured by TRIPBOT_* variables.

    Every worker process serves requests; only one of them at a time follows other services'
    feeds (it holds the follower's lease; another takes over if it dies)."""
    from tripbot.platform.server import WSGIApp, serve_workers, usable_cores
    from tripbot.system import build_distributed_gateway, build_service, migrate_service

    settings = load_settings()
    name = str(service.value)
    configure_logging(
        settings.log_level, settings.log_format, service=name, syslog=syslog_target(settings)
    )
    processes = workers or settings.workers or usable_cores()
    try:
        if name == "gateway":
            build_distributed_gateway(settings).close()  # refuse now what a worker would
        else:
            if migrate:
                migrate_service(name, settings)
            build_service(name, settings, run_migrations=False)[1].database.dispose()
    except ValueError as error:  # a missing TRIPBOT_<SERVICE>_URL
        console.print(f"[red]Cannot start {name}:[/red] {error}")
        raise typer.Exit(2) from error

    def load() -> WSGIApp:
        """The service's application, built in each worker (after the fork)."""
        from tripbot.system import (
            DEFINITIONS,
            remote_transports,
            start_followers,
            start_mail_sender,
        )

        if name == "gateway":
            return build_distributed_gateway(settings).gateway
        wsgi, runtime = build_service(name, settings, run_migrations=False)
        if name != "events":
            sources = ("events", *DEFINITIONS[name].follows)
            start_followers({name: runtime}, remote_transports(settings, sources))
        else:
            start_mail_sender({name: runtime})
        return wsgi

    console.print(
        f"TripBot {name} {__version__} listening on http://{host}:{port} "
        f"({processes} worker processes of {threads} threads)"
    )
    serve_workers(load, name=name, host=host, port=port, workers=processes, threads=threads)


@app.command("migrate")
def migrate_command(
    service: Annotated[
        str | None, typer.Argument(help="Only this service (default: every service).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
    backup_to: Annotated[
        Path | None,
        typer.Option(
            help="First back up every service that has data and pending migrations into a new "
            "folder pre-migrate-<UTC time> under this one; migrate nothing if that fails.",
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            help="Migrate nothing: wait until another process (a migration Job) has brought "
            "the databases to this version.",
        ),
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 900.0,
) -> None:
    """Apply pending database migrations (safe to run twice)."""
    from tripbot.platform.db import Database
    from tripbot.system import migrate

    settings = load_settings(data_dir)
    owners = (*SERVICES, "bot")
    names = [service] if service else list(owners)
    for name in names:
        if name not in owners:
            console.print(f"[red]Unknown service {name!r}[/red]; choose from {', '.join(owners)}")
            raise typer.Exit(2)
    if settings.data_dir and not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if wait:
        _wait_for_migrations(settings, names, timeout)
        return
    if backup_to is not None:
        _back_up_before_migrating(settings, names, backup_to)
    for name in names:
        database = Database(settings.database_url_for(name))
        migrate(name, database)
        database.dispose()
        console.print(f"{name}: up to date")


def _behind(settings: Settings, names: list[str]) -> list[str]:
    """The services among ``names`` whose database is behind this version's migrations."""
    from tripbot.platform.db import Database
    from tripbot.platform.migrations import pending
    from tripbot.system import MIGRATIONS

    behind = []
    for name in names:
        database = Database(settings.database_url_for(name))
        try:
            if pending(database, MIGRATIONS[name]):
                behind.append(name)
        finally:
            database.dispose()
    return behind


def _wait_for_migrations(settings: Settings, names: list[str], timeout: float) -> None:
    """Return once every database is at this version; exit 1 after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while behind := _behind(settings, names):
        if time.monotonic() > deadline:
            console.print(
                f"[red]Still not migrated after {timeout:.0f}s:[/red] {', '.join(behind)}. "
                "Did the migration Job run? (kubectl -n tripbot logs job/tripbot-migrate)"
            )
            raise typer.Exit(1)
        time.sleep(2)
    console.print(f"{', '.join(names)}: at this version")


def _back_up_before_migrating(settings: Settings, names: list[str], root: Path) -> None:
    """Back up the services that are about to be migrated and hold data; exit 1 if it fails."""
    from datetime import UTC, datetime

    from rich.progress import Progress
    from sqlalchemy import inspect

    from tripbot.backup import BackupError, RichProgress, backup
    from tripbot.platform.db import Database

    about_to_change = []
    for name in _behind(settings, names):  # the bot's database too
        database = Database(settings.database_url_for(name))
        try:
            # A database without TripBot's tables (a first install) holds nothing to keep.
            with database.engine.connect() as connection:
                if inspect(connection).has_table("alembic_version"):
                    about_to_change.append(name)
        finally:
            database.dispose()
    if not about_to_change:
        console.print("Nothing with data to migrate: no backup needed.")
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = root / f"pre-migrate-{stamp}"
    try:
        with Progress(console=console) as bars:
            backup(settings, directory, about_to_change, RichProgress(bars))
    except BackupError as error:
        console.print(f"[red]Not migrated: the backup before it failed:[/red] {error}")
        raise typer.Exit(1) from error
    console.print(f"Backed up {', '.join(about_to_change)} into {directory} before migrating.")


def _read_password(from_stdin: bool) -> str:
    """The new account's password: stdin's first line, or a hidden prompt typed twice."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            console.print("[red]--password-stdin: standard input held no password[/red]")
            raise typer.Exit(2)
        return password
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


@user_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="Login email.")],
    name: Annotated[str, typer.Option(help="Name shown to others.")],
    role: Annotated[str, typer.Option(help="admin, gear_keeper or member.")] = "member",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of standard input (for scripts).",
        ),
    ] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
) -> None:
    """Create an account directly in the events service's database (operators only).

    The password is asked with a hidden prompt, or read from standard input with
    ``--password-stdin``; never from the command line, where shell history and the process list
    would keep it.
    """
    from pydantic import ValidationError

    from tripbot.events.schemas import UserRegister
    from tripbot.events.service import accounts
    from tripbot.platform.db import Database
    from tripbot.system import migrate, runtime_of

    settings = load_settings(data_dir)
    if role not in ("admin", "gear_keeper", "member"):
        console.print("[red]--role must be admin, gear_keeper or member[/red]")
        raise typer.Exit(2)
    password = _read_password(password_stdin)
    try:
        data = UserRegister(email=email, password=password, display_name=name)
    except ValidationError as error:
        console.print(
            f"[red]Invalid account:[/red] {error.errors()[0]['loc'][0]}: {error.errors()[0]['msg']}"
        )
        raise typer.Exit(2) from error
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    database = Database(settings.database_url_for("events"))
    migrate("events", database)
    operator = accounts.operator_call(runtime_of("events", settings, database, {}))
    try:
        user = accounts.register(operator, data)
        user = accounts.assign_role(database.unit_of_work(), user.id, role)
    except DomainError as error:
        console.print(f"[red]Not created:[/red] {error.detail}")
        raise typer.Exit(1) from error
    finally:
        database.dispose()
    typer.echo(f"created user {user.id} <{user.email}> as {user.role}")


ServiceOption = Annotated[
    list[str] | None,
    typer.Option("--service", help="Only this service (repeat it for more; default: every one)."),
]


def _chosen_services(services: list[str] | None) -> list[str]:
    owners = (*SERVICES, "bot")  # every database TripBot keeps, the bot's chats included
    for name in services or []:
        if name not in owners:
            console.print(f"[red]Unknown service {name!r}[/red]; choose from {', '.join(owners)}")
            raise typer.Exit(2)
    return list(services or owners)


@app.command("backup")
def backup_command(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) directory to write.")],
    service: ServiceOption = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
) -> None:
    """Back up every service's and the bot's data into DIRECTORY (one consistent snapshot
    per service), readable by its owner only."""
    from rich.progress import Progress

    from tripbot.backup import BackupError, RichProgress, backup

    settings = load_settings(data_dir)
    names = _chosen_services(service)
    try:
        with Progress(console=console) as bars:
            manifest = backup(settings, directory, names, RichProgress(bars))
    except BackupError as error:
        console.print(f"[red]No backup:[/red] {error}")
        raise typer.Exit(1) from error
    rows = sum(t["rows"] for s in manifest["services"].values() for t in s["tables"].values())
    typer.echo(f"backed up {len(names)} services, {rows} rows, into {directory}")


@app.command("restore")
def restore_command(
    directory: Annotated[Path, typer.Argument(help="A directory `tripbot backup` wrote.")],
    service: ServiceOption = None,
    force: Annotated[
        bool, typer.Option(help="Replace what the databases hold (they must be empty otherwise).")
    ] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
) -> None:
    """Restore every service's data from DIRECTORY, then migrate it to this version.

    Everything is checked first; the databases change together only if every one succeeded."""
    from rich.progress import Progress

    from tripbot.backup import BackupError, RichProgress, restore

    settings = load_settings(data_dir)
    names = _chosen_services(service) if service else None
    if any(settings.database_url_for(n).startswith("sqlite") for n in names or SERVICES):
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        with Progress(console=console) as bars:
            reports = restore(settings, directory, names, force=force, progress=RichProgress(bars))
    except BackupError as error:
        console.print(f"[red]Not restored:[/red] {error}")
        raise typer.Exit(1) from error
    restored = sorted({report.service for report in reports})
    typer.echo(
        f"restored {sum(r.rows for r in reports)} rows of {', '.join(restored) or 'no service'}"
    )
