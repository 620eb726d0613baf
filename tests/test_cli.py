"""The ``tripbot`` command line."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.processes import Process, free_port
from tripbot import __version__
from tripbot.cli import app
from tripbot.demo import DEMO_PASSWORD, DEMO_PEOPLE

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("cli_environment")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"tripbot {__version__}"


def test_migrate_is_safe_to_run_twice(tmp_path: Path) -> None:
    for _ in range(2):
        result = runner.invoke(app, ["migrate", "--data-dir", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "events: up to date" in result.output
    assert (tmp_path / "events.db").exists()


def test_migrate_refuses_an_unknown_service(tmp_path: Path) -> None:
    result = runner.invoke(app, ["migrate", "bogus", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "Unknown service 'bogus'" in result.output


def test_user_create_makes_an_account_with_a_role(tmp_path: Path) -> None:
    args = ["user", "create", "--email", "Keeper@Club.example", "--name", "Keeper"]
    result = runner.invoke(
        app,
        [*args, "--role", "gear_keeper", "--data-dir", str(tmp_path)],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "<keeper@club.example> as gear_keeper" in result.output

    again = runner.invoke(
        app, [*args, "--data-dir", str(tmp_path)], input="a long password\na long password\n"
    )
    assert again.exit_code == 1
    assert "already exists" in again.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--role", "king"], "--role must be admin, gear_keeper or member"),
        (["--email", "not-an-email"], "Invalid account: email"),
    ],
)
def test_user_create_refuses_bad_input(tmp_path: Path, extra: list[str], message: str) -> None:
    base = {"--email": "a@club.example", "--name": "A", "--data-dir": str(tmp_path)}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        base[flag] = value
    args = [item for pair in base.items() for item in pair]
    result = runner.invoke(
        app, ["user", "create", *args], input="a long password\na long password\n"
    )
    assert result.exit_code == 2
    assert message in result.output


def test_production_refuses_default_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPBOT_ENV", "production")
    result = runner.invoke(app, ["serve", "events"])
    assert result.exit_code == 2
    assert "TRIPBOT_SECRET_KEY must be set" in result.output


def test_run_starts_the_embedded_system_with_a_demo_club(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    env["TRIPBOT_ENV"] = "test"
    process = Process(
        "run",
        ["run", "--demo", "--data-dir", str(tmp_path)],
        env,
        free_port(),
        tmp_path / "run.log",
    )
    process.start(ready_path="/api/v1/health")
    try:
        with httpx.Client(base_url=process.url, timeout=10) as http:
            home = http.get("/")
            assert home.status_code == 200
            assert "TripBot" in home.text
            token = http.post(
                "/api/v1/auth/token",
                json={"email": DEMO_PEOPLE[0][0], "password": DEMO_PASSWORD},
            )
            assert token.status_code == 201
            headers = {"Authorization": f"Bearer {token.json()['token']}"}
            events = http.get("/api/v1/events", headers=headers).json()
            assert len(events) == 2
            cares, fiesta = sorted(events, key=lambda e: e["starts_at"])
            # The annual meeting has a fourth member: its cook, added by name, without account.
            assert (cares["member_count"], fiesta["member_count"]) == (3, 4)
            plan = http.get(f"/api/v1/events/{cares['id']}/plan", headers=headers).json()
            assert [stop["route"]["name"] for stop in plan["routes"]] == ["Ruta del Cares"]
            balances = http.get(
                f"/api/v1/events/{cares['id']}/ledger/balances", headers=headers
            ).json()
            amounts = [Decimal(m["balance"]) for m in balances["members"]]
            assert sum(amounts) == 0
            assert sorted(amounts) == [Decimal("-16.90"), Decimal("0.20"), Decimal("16.70")]
            items = http.get("/api/v1/gear/items", headers=headers).json()
            assert {item["name"] for item in items} == {"Tienda 2 plazas", "Frontal", "Casco"}
            activities = http.get(
                f"/api/v1/events/{fiesta['id']}/activities", headers=headers
            ).json()
            assert len(activities) == 5
        assert (tmp_path / "events.db").exists()
        assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    finally:
        process.stop()


def test_run_loads_the_demo_club_when_registration_is_by_invitation_only(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    env.update(TRIPBOT_ENV="test", TRIPBOT_REGISTRATION="invitation")
    process = Process(
        "run", ["run", "--demo", "--data-dir", str(tmp_path)], env, free_port(), tmp_path / "log"
    )
    process.start(ready_path="/api/v1/health")
    try:
        with httpx.Client(base_url=process.url, timeout=10) as http:
            token = http.post(
                "/api/v1/auth/token",
                json={"email": DEMO_PEOPLE[1][0], "password": DEMO_PASSWORD},
            )
            assert token.status_code == 201, token.text
            headers = {"Authorization": f"Bearer {token.json()['token']}"}
            assert len(http.get("/api/v1/events", headers=headers).json()) == 2
            stranger = http.post(
                "/api/v1/auth/register",
                json={
                    "email": "stranger@club.example",
                    "password": "a long password",
                    "display_name": "Stranger",
                },
            )
            assert stranger.status_code == 403  # still by invitation for everyone else
    finally:
        process.stop()
    # Start-up ends with a block of its own lines: the URL whole, the data, each login.
    lines = (tmp_path / "log").read_text().splitlines()
    opened = lines.index(f"  Open  {process.url}")
    assert lines[opened - 1].startswith("TripBot ")
    assert lines[opened - 1].endswith(" s).")
    assert lines[opened + 1] == f"  Data  {tmp_path.resolve()}"
    assert lines[opened + 2] == (f"  Demo club loaded: log in with the password {DEMO_PASSWORD} as")
    assert lines[opened + 3 : opened + 6] == [
        f"    {email}  ({name})" for email, name in DEMO_PEOPLE
    ]
    assert lines[opened + 6] == "  Stop with Ctrl+C."
    assert all(line.startswith("{") for line in lines[opened + 8 :])  # then JSON records


def test_user_create_reads_the_password_from_stdin_and_never_from_the_command_line(
    tmp_path: Path,
) -> None:
    args = ["user", "create", "--email", "ops@club.example", "--name", "Ops"]
    refused = runner.invoke(
        app, [*args, "--password", "on the command line", "--data-dir", str(tmp_path)]
    )
    assert refused.exit_code == 2
    assert "No such option: --password" in refused.output

    empty = runner.invoke(app, [*args, "--password-stdin", "--data-dir", str(tmp_path)], input="\n")
    assert empty.exit_code == 2
    assert "standard input held no password" in empty.output

    made = runner.invoke(
        app, [*args, "--password-stdin", "--data-dir", str(tmp_path)], input="from a pipe ok\n"
    )
    assert made.exit_code == 0, made.output
    assert "Password" not in made.output  # no prompt when the password comes from stdin
    assert "created user" in made.output


def test_user_create_asks_on_a_terminal_without_echoing_the_password(tmp_path: Path) -> None:
    import pty
    import select
    import subprocess
    import sys

    controller, terminal = pty.openpty()
    command = ["user", "create", "--email", "tty@club.example", "--name", "Tty"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tripbot", *command, "--data-dir", str(tmp_path)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")},
    )
    os.close(terminal)
    seen = b""

    def read_until(wanted: bytes) -> None:
        nonlocal seen
        while wanted not in seen:
            ready, _, _ = select.select([controller], [], [], 60)
            assert ready, seen
            try:
                seen += os.read(controller, 4096)
            except OSError:  # the terminal closed: the process ended
                return

    # click writes "Password:", then getpass turns echo off and writes " ": type after the space.
    read_until(b"Password: ")
    os.write(controller, b"typed secretly 1\n")
    read_until(b"Repeat for confirmation: ")
    os.write(controller, b"typed secretly 1\n")
    read_until(b"created user")
    assert process.wait(timeout=60) == 0
    os.close(controller)
    assert b"created user" in seen
    assert b"typed secretly" not in seen
