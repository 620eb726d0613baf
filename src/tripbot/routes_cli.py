"""``tripbot routes``: import a folder of route files (GPX, KML, KMZ, TCX, FIT, GeoJSON) into the
route catalogue, saying for each file what was repaired or why it was not added.

Only regular files are read: a symbolic link (to /dev/zero, say) or a named pipe is listed as
not added, never opened, and a file is read no further than the upload limit.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from tripbot.cli_settings import LazyConsole
from tripbot.events.models import User
from tripbot.platform.db import Database
from tripbot.platform.errors import DomainError
from tripbot.platform.identity import Principal
from tripbot.platform.language import LANGUAGES, speaking
from tripbot.platform.logging import configure_logging
from tripbot.platform.operations import Upload
from tripbot.routes.schemas import RouteDetails

routes_app = typer.Typer(help="Manage the route catalogue.", no_args_is_help=True)
console = LazyConsole(stderr=True)
SUFFIXES = (".gpx", ".kml", ".kmz", ".tcx", ".fit", ".geojson", ".json")

NOT_REGULAR = {
    stat.S_IFLNK: "it is a symbolic link; only regular files are imported: name the file itself",
    stat.S_IFIFO: "it is a named pipe, not a regular file; only regular files are imported",
    stat.S_IFCHR: "it is a device, not a regular file; only regular files are imported",
    stat.S_IFBLK: "it is a device, not a regular file; only regular files are imported",
    stat.S_IFSOCK: "it is a socket, not a regular file; only regular files are imported",
}
SPANISH = {
    "it is a symbolic link; only regular files are imported: name the file itself": (
        "es un enlace simbólico; solo se importan archivos normales: indica el archivo mismo"
    ),
    "it is a named pipe, not a regular file; only regular files are imported": (
        "es una tubería con nombre, no un archivo normal; solo se importan archivos normales"
    ),
    "it is a device, not a regular file; only regular files are imported": (
        "es un dispositivo, no un archivo normal; solo se importan archivos normales"
    ),
    "it is a socket, not a regular file; only regular files are imported": (
        "es un socket, no un archivo normal; solo se importan archivos normales"
    ),
    "it is larger than {limit} bytes (TRIPBOT_ROUTES_MAX_UPLOAD_BYTES)": (
        "ocupa más de {limit} bytes (TRIPBOT_ROUTES_MAX_UPLOAD_BYTES)"
    ),
}
"""The command's own reasons in Spanish (the service's come in the language asked for)."""


class NotImported(Exception):
    """A path that is not read: not a regular file, or too large."""


@dataclass
class Outcome:
    """What happened to the files: added (with their repairs) and not added (with why)."""

    added: int = 0
    repaired: list[tuple[str, list[str]]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def _said(reason: str, language: str | None, **values: object) -> str:
    text = SPANISH.get(reason, reason) if language == "es" else reason
    return text.format(**values)


def _kind(path: Path) -> int:
    return stat.S_IFMT(path.lstat().st_mode)


def _files(paths: list[Path]) -> list[Path]:
    """The route files named, and those inside the folders named (sorted, recursively;
    symbolic links to folders are not followed)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            for folder, _, names in os.walk(path, followlinks=False):
                found.extend(
                    sorted(Path(folder) / n for n in names if Path(n).suffix.lower() in SUFFIXES)
                )
        else:
            found.append(path)
    return found


def read_regular(path: Path, limit: int, language: str | None) -> bytes:
    """A regular file's bytes (at most ``limit``); NotImported says why another is not read."""
    kind = _kind(path)
    if kind != stat.S_IFREG:
        reason = NOT_REGULAR.get(kind, NOT_REGULAR[stat.S_IFCHR])
        raise NotImported(_said(reason, language))
    # Opened without following a link and without blocking on a pipe: the path may have been
    # swapped since it was looked at.
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotImported(_said(NOT_REGULAR[stat.S_IFLNK], language)) from error
        raise
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise NotImported(_said(NOT_REGULAR[stat.S_IFCHR], language))
        content = file.read(limit + 1)
    if len(content) > limit:
        reason = "it is larger than {limit} bytes (TRIPBOT_ROUTES_MAX_UPLOAD_BYTES)"
        raise NotImported(_said(reason, language, limit=limit))
    return content


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


def _default_language() -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "es" if value.lower().startswith("es") else "en"
    return "en"


def _report(files: list[Path], outcome: Outcome, language: str | None) -> None:
    from rich.console import Console  # only the command line draws tables
    from rich.table import Table
    from rich.text import Text

    spanish = language == "es"
    typer.echo(
        f"{outcome.added} de {len(files)} ruta(s) añadida(s)"
        if spanish
        else f"{outcome.added} of {len(files)} route(s) added"
    )
    out = Console()
    if outcome.repaired:
        table = Table(
            "Archivo" if spanish else "File",
            "Qué se reparó" if spanish else "What was repaired",
            title="Añadidas con reparaciones" if spanish else "Added with repairs",
        )
        for name, details in outcome.repaired:
            # Text, not markup: a file's words may hold square brackets.
            table.add_row(Text(name), Text("\n".join(details)))
        out.print(table)
    if outcome.failures:
        table = Table(
            "Archivo" if spanish else "File",
            "Por qué no se añadió" if spanish else "Why it was not added",
            title="No añadidos" if spanish else "Not added",
        )
        for name, reason in outcome.failures:
            table.add_row(Text(name), Text(reason))
        out.print(table)


@routes_app.command("import")
def import_routes(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders of GPX, KML, KMZ, TCX, FIT, GeoJSON.")
    ],
    as_email: Annotated[str, typer.Option("--as", help="Email of the account that adds them.")],
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
    language: Annotated[
        str | None,
        typer.Option(help="Language of the report: es or en (default: from LANG)."),
    ] = None,
) -> None:
    """Add route files to the catalogue as someone, with a progress bar and a summary."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from tripbot.cli_settings import load_settings
    from tripbot.system import build_embedded

    spoken = language if language in LANGUAGES else _default_language()
    settings = load_settings(data_dir)
    # Request logs would scroll the progress bar away; warnings and errors still show.
    configure_logging("WARNING", "console")
    files = _files(paths)
    if not files:
        console.print("[red]No GPX, KML, KMZ, TCX, FIT or GeoJSON file found.[/red]")
        raise typer.Exit(2)
    system = build_embedded(settings)
    outcome = Outcome()
    try:
        principal = _find_user(system.databases["events"], as_email)
        client = system.gateway.extensions["tripbot.services"].routes(principal)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console.made()) as progress, speaking(spoken):
            task = progress.add_task("Importing", total=len(files))
            for path in files:
                try:
                    content = read_regular(path, settings.routes_max_upload_bytes, spoken)
                    route = client.import_route(Upload(path.name, content), RouteDetails())
                    outcome.added += 1
                    if route.repairs:
                        outcome.repaired.append((str(path), [r.detail for r in route.repairs]))
                except (DomainError, OSError, NotImported) as error:
                    said = error.told_in(spoken) if isinstance(error, DomainError) else None
                    reason = said or getattr(error, "detail", None) or str(error)
                    outcome.failures.append((str(path), reason))
                progress.advance(task)
    finally:
        system.close()
    _report(files, outcome, spoken)
    if outcome.failures:
        raise typer.Exit(1)
