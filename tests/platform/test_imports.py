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


@pytest.mark.parametrize("module", ["numpy", "icalendar", "rich", "pygments"])
def test_a_built_embedded_system_has_not_loaded_what_only_some_requests_need(
    tmp_path: Path, module: str
) -> None:
    """NumPy (track analysis, gear availability), icalendar (calendar feeds) and rich with
    pygments (the command line's drawing) load when first needed, not at a server's start: the
    command line, every service and the gateway built, then the gateway's first page."""
    statement = (
        "from pathlib import Path\n"
        "import tripbot.cli\n"
        "from tripbot.platform.settings import Settings\n"
        "from tripbot.system import build_embedded\n"
        f"system = build_embedded(Settings(env='test', data_dir=Path({str(tmp_path)!r})))\n"
        "assert system.gateway.test_client().get('/').status_code == 200\n"
        "system.close()"
    )
    assert not _loaded_after(statement, module)


@pytest.mark.parametrize(
    ("statement", "module"),
    [
        (
            "from datetime import date\nfrom tripbot.gear import rules\n"
            "rules.used_by_day([], [], date.today(), date.today(), date.today())",
            "numpy",
        ),
        ("from tripbot.routes.service.rows import method\nmethod()", "numpy"),
        (
            "from tripbot.agenda import ical\nical.vtimezone('Europe/Madrid', 2026, 2026)",
            "icalendar",
        ),
        ("import tripbot.cli_settings\ntripbot.cli_settings.console.made()", "rich"),
    ],
)
def test_what_is_put_off_still_loads_where_it_is_used(statement: str, module: str) -> None:
    """Each library put off loads where it is used (a test that could not fail otherwise)."""
    assert _loaded_after(statement, module)
