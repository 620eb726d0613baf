"""What every ``tripbot`` subcommand starts from: the settings, or a refusal that says why."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from tripbot.platform.settings import InsecureSettingsError, Settings

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """rich's console, made when first printed to: `tripbot run` and `tripbot serve` start
    servers that never print here, and so never load rich (and pygments)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._made: Console | None = None

    def made(self) -> Console:
        """The console itself (for rich's progress bars and live displays)."""
        if self._made is None:
            from rich.console import Console

            self._made = Console(**self._options)
        return self._made

    def print(self, *objects: Any, **options: Any) -> None:
        """Print as rich's console does (markup, wrapping)."""
        self.made().print(*objects, **options)

    @property
    def file(self) -> IO[str]:
        """Where the console writes."""
        return self.made().file


console = LazyConsole(stderr=True)


def load_settings(data_dir: Path | None = None) -> Settings:
    """The settings from ``TRIPBOT_*``; a data directory given on the command line wins."""
    try:
        settings = Settings()
    except InsecureSettingsError as error:
        console.print(f"[red]Refusing to start:[/red] {error}")
        raise typer.Exit(2) from error
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings
