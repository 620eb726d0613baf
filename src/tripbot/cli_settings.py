"""What every ``tripbot`` subcommand starts from: the settings, or a refusal that says why."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tripbot.platform.settings import InsecureSettingsError, Settings

console = Console(stderr=True)


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
