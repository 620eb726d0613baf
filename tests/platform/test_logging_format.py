"""Logs are short readable lines on a terminal and JSON otherwise, or what was asked."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

LOG_ONE_LINE = (
    "from tripbot.platform.logging import configure_logging, get_logger; "
    "configure_logging('INFO', sys.argv[1]); get_logger('demo').info('gear.reserved', units=2)"
)


def run(fmt: str, *, terminal: bool) -> str:
    """What a process that logs one record writes on stdout (a terminal, or a pipe)."""
    code = f"import sys; {LOG_ONE_LINE}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    if not terminal:
        return subprocess.run(
            [sys.executable, "-c", code, fmt], capture_output=True, text=True, env=env, check=True
        ).stdout
    controller, child = pty.openpty()
    process = subprocess.Popen([sys.executable, "-c", code, fmt], stdout=child, env=env)
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(controller)
    return output.decode()


@pytest.mark.parametrize(("fmt", "terminal"), [("auto", False), ("json", True), ("json", False)])
def test_json_lines_when_not_a_terminal_or_when_asked(fmt: str, terminal: bool) -> None:
    (line,) = run(fmt, terminal=terminal).splitlines()
    record = json.loads(line)
    assert (record["event"], record["units"], record["level"]) == ("gear.reserved", 2, "info")


@pytest.mark.parametrize(("fmt", "terminal"), [("auto", True), ("console", False)])
def test_short_readable_lines_on_a_terminal_or_when_asked(fmt: str, terminal: bool) -> None:
    (line,) = run(fmt, terminal=terminal).splitlines()
    plain = line
    while "\x1b[" in plain:  # colours, on a terminal
        start = plain.index("\x1b[")
        plain = plain[:start] + plain[plain.index("m", start) + 1 :]
    assert not plain.startswith("{")
    assert "gear.reserved" in plain
    assert "units=2" in plain
    assert "info" in plain
