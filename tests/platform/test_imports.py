"""Imports are paid only by what runs: a server without a bot token never loads the Telegram
library (~20 MiB and a second of its start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _loaded_after(statement: str, module: str) -> bool:
    """Whether a fresh interpreter has ``module`` loaded after running ``statement``."""
    probe = f"import sys\n{statement}\nprint({module!r} in sys.modules)\n"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert found.returncode == 0, found.stderr
    return found.stdout.strip() == "True"


@pytest.mark.parametrize(
    "statement",
    [
        "from tripbot.system import build_embedded, build_distributed_gateway",
        "from tripbot.gateway.app import create_gateway",
        "import tripbot.cli",
    ],
)
def test_the_servers_app_factory_does_not_import_telegram(statement: str) -> None:
    """The composition root, the gateway and the command line leave the bot's library alone."""
    assert not _loaded_after(statement, "telegram")


def test_building_the_bot_still_finds_telegram() -> None:
    """The lazy import is where the bot is built: asking for it loads the library."""
    assert _loaded_after(
        "from tripbot.system import build_bot\nimport tripbot.bot.conversation", "telegram"
    )


def test_a_built_embedded_system_without_a_bot_token_has_not_loaded_telegram(
    tmp_path: Path,
) -> None:
    """Building every service and the gateway (as `tripbot run` does) loads no Telegram."""
    statement = (
        "from pathlib import Path\n"
        "from tripbot.platform.settings import Settings\n"
        "from tripbot.system import build_embedded\n"
        f"build_embedded(Settings(env='test', data_dir=Path({str(tmp_path)!r}))).close()"
    )
    assert not _loaded_after(statement, "telegram")


def test_a_start_on_up_to_date_databases_does_not_load_alembic(tmp_path: Path) -> None:
    """Alembic (~10 MiB) loads only when a migration is pending: the second start finds every
    database at its newest revision from the files and the version tables alone."""
    build = (
        "from pathlib import Path\n"
        "from tripbot.platform.settings import Settings\n"
        "from tripbot.system import build_embedded\n"
        f"build_embedded(Settings(env='test', data_dir=Path({str(tmp_path)!r}))).close()"
    )
    assert _loaded_after(build, "alembic")  # the first start migrates
    assert not _loaded_after(build, "alembic")
