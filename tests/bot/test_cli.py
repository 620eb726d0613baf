"""``tripbot bot``: refusing to start without a token, and the console (a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tripbot.cli import app

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("cli_environment")


def test_the_bot_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bot", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "TRIPBOT_BOT_TOKEN is not set" in result.output
    assert "@BotFather" in result.output
    assert "tripbot bot console" in result.output


def test_a_webhook_without_its_secret_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIPBOT_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TRIPBOT_BOT_WEBHOOK_URL", "https://bot.example.org/telegram")
    result = runner.invoke(app, ["bot", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "TRIPBOT_BOT_WEBHOOK_SECRET" in result.output


def _tripbot(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    environment["TRIPBOT_ENV"] = "test"
    return subprocess.run(
        [sys.executable, "-m", "tripbot", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_the_console_chats_as_a_person_with_the_real_handlers(tmp_path: Path) -> None:
    created = _tripbot(
        "user",
        "create",
        "--email",
        "ana@club.example",
        "--name",
        "Ana",
        data_dir=tmp_path,
        stdin="a long password\na long password\n",
    )
    assert created.returncode == 0, created.stderr
    chat = _tripbot(
        "bot",
        "console",
        "--as",
        "ana@club.example",
        "--language",
        "en",
        data_dir=tmp_path,
        stdin="/start\n/events\n/lang es\n/ayuda\n",
    )
    assert chat.returncode == 0, chat.stderr
    assert "Chatting with TripBot as Ana" in chat.stderr
    out = chat.stdout
    assert "Hello Ana!" in out
    assert "You are not in any event yet" in out
    assert "A partir de ahora hablo español aquí." in out
    assert "Soy TripBot" in out


def test_the_console_refuses_an_unknown_account(tmp_path: Path) -> None:
    chat = _tripbot("bot", "console", "--as", "nobody@club.example", data_dir=tmp_path)
    assert chat.returncode == 2
    assert "there is no account with the email nobody@club.example" in chat.stderr


def test_run_with_a_token_runs_the_bot_too_and_outlives_a_telegram_it_cannot_reach(
    tmp_path: Path,
) -> None:
    from tests.processes import Process, free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    env.update(TRIPBOT_ENV="test", TRIPBOT_BOT_TOKEN="123456:not-a-real-token")
    process = Process(
        "run", ["run", "--data-dir", str(tmp_path)], env, free_port(), tmp_path / "run.log"
    )
    process.start(ready_path="/api/v1/health")
    try:
        log = tmp_path / "run.log"
        deadline = time.monotonic() + 60
        while "bot.stopped" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        text = log.read_text()
        assert "The Telegram bot runs in this process too" in text
        assert "bot.stopped" in text  # no Telegram here (or the token refused): said, not fatal
        assert httpx.get(f"{process.url}/api/v1/health", timeout=10).status_code == 200
    finally:
        process.stop()
