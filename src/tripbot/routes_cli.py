"""``tripbot routes``: import a folder of GPX, KML or GeoJSON files into the route catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from tripbot.events.models import User
from tripbot.platform.db import Database
from tripbot.platform.errors import DomainError
from tripbot.platform.identity import Principal
from tripbot.platform.logging import configure_logging
from tripbot.routes.schemas import RouteDetails

routes_app = typer.Typer(help="Manage the route catalogue.", no_args_is_help=True)
console = Console(stderr=True)
SUFFIXES = (".gpx", ".kml", ".geojson", ".json")


def _files(paths: list[Path]) -> list[Path]:
    """The route files named, and those inside the folders named (sorted, recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES))
        else:
            found.append(path)
    return found


def _find_user(database: Database, email: str) -> Principal:
    """The account with this email (the operator's command line may read it directly)."""
    with database.unit_of_work() as uow:
        found = uow.session.execute(
            select(User.id, User.role).where(User.email == email.strip().lower())
        ).first()
    if found is None:
        console.print(f"[red]There is no account {email!r}[/red]; see tripbot user create")
        raise typer.Exit(2)
    return Principal(user_id=found.id, instance_role=found.role)


@routes_app.command("import")
def import_routes(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of GPX, KML, GeoJSON.")],
    as_email: Annotated[str, typer.Option("--as", help="Email of the account that adds them.")],
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
) -> None:
    """Add route files to the catalogue as someone, with a progress bar and a summary."""
    from tripbot.cli_settings import load_settings
    from tripbot.system import build_embedded

    settings = load_settings(data_dir)
    # Request logs would scroll the progress bar away; warnings and errors still show.
    configure_logging("WARNING", "console")
    files = _files(paths)
    if not files:
        console.print("[red]No GPX, KML or GeoJSON file found.[/red]")
        raise typer.Exit(2)
    system = build_embedded(settings)
    try:
        principal = _find_user(system.databases["events"], as_email)
        client = system.gateway.extensions["tripbot.services"].routes(principal)
        failures: list[tuple[str, str]] = []
        added = 0
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("Importing", total=len(files))
            for path in files:
                try:
                    client.import_route(path.name, path.read_bytes(), RouteDetails())
                    added += 1
                except (DomainError, OSError) as error:
                    failures.append((str(path), getattr(error, "detail", None) or str(error)))
                progress.advance(task)
    finally:
        system.close()
    typer.echo(f"{added} of {len(files)} route(s) added")
    if failures:
        table = Table("File", "Why it was not added", title="Not added")
        for name, reason in failures:
            table.add_row(name, reason)
        Console().print(table)
        raise typer.Exit(1)
