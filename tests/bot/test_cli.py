"""``tripbot bot``: refusing to start without a token, and the console (a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
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


def test_run_with_a_token_waits_for_a_telegram_it_cannot_reach_and_says_so_in_health(
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
        while "Telegram cannot be reached" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        text = log.read_text()
        assert "The Telegram bot runs in this process too" in text
        assert "Telegram cannot be reached" in text  # no Telegram here: said, waited for
        assert "Traceback" not in text
        health = httpx.get(f"{process.url}/api/v1/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["bot"] == "disconnected"
        metrics = httpx.get(f"{process.url}/metrics", timeout=10).text
        assert "tripbot_bot_connected 0.0" in metrics
    finally:
        process.stop()


def test_the_bot_without_telegram_says_so_in_one_line_per_attempt_and_keeps_trying(
    tmp_path: Path,
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    environment.update(TRIPBOT_ENV="test", TRIPBOT_BOT_TOKEN="123456:not-a-real-token")
    bot = subprocess.Popen(
        [sys.executable, "-m", "tripbot", "bot", "--data-dir", str(tmp_path), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(bot.stderr or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 90
    try:
        while sum("Telegram cannot be reached" in line for line in lines) < 3:
            assert time.monotonic() < deadline, lines
            time.sleep(0.2)
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        reader.join(timeout=10)
        if bot.stderr is not None:
            bot.stderr.close()
    err = "".join(lines)
    attempts = [line for line in lines if line.startswith("Telegram cannot be reached")]
    assert [line.rsplit("trying again in ", 1)[1].strip() for line in attempts[:3]] == [
        "1 s.",
        "2 s.",
        "4 s.",
    ]
    assert bot.returncode == 0  # SIGTERM stops it cleanly while it waits
    assert "Traceback" not in err


def test_a_half_distributed_bot_refuses_to_start_naming_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIPBOT_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TRIPBOT_EVENTS_URL", "http://127.0.0.1:9")
    result = runner.invoke(app, ["bot", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "TRIPBOT_ROUTES_URL, TRIPBOT_GEAR_URL, TRIPBOT_LEDGER_URL, TRIPBOT_AGENDA_URL" in (
        result.output
    )
    assert not list(tmp_path.glob("*.sqlite*"))  # no empty local databases were made
