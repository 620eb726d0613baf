"""Logs are short readable lines on a terminal and JSON otherwise, or what was asked."""

from __future__ import annotations

import json
import os
import pty
import re
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
    clock, rest = plain.split(" ", 1)
    assert re.fullmatch(r"\d\d:\d\d:\d\d", clock)
    assert rest == "gear.reserved units=2"  # no level word for info, no component


LOG_ONE_REQUEST = (
    "from tripbot.platform.logging import configure_logging, get_logger; "
    "configure_logging('INFO', sys.argv[1]); get_logger('http').info("
    "'request', method='GET', path='/events/1', status=200, duration_ms=12.4, "
    "request_id='0123456789abcdef', service='gateway')"
)


def test_a_request_is_one_short_line_on_a_terminal_and_a_json_record_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "LOG_ONE_LINE", LOG_ONE_REQUEST)
    (line,) = run("auto", terminal=True).splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d GET /events/1 200 12 ms", line)
    (record,) = map(json.loads, run("auto", terminal=False).splitlines())
    assert record["path"] == "/events/1"
    assert record["request_id"] == "0123456789abcdef"
    assert record["duration_ms"] == 12.4


def test_a_warning_says_its_level_on_a_terminal() -> None:
    from tripbot.platform.logging import ShortLines

    render = ShortLines(colours=False)
    line = render(
        None,
        "warning",
        {
            "event": "database unavailable",
            "level": "warning",
            "timestamp": "2026-12-07T19:05:44Z",
            "code": "SQLITE_FULL",
        },
    )
    assert line.split(" ", 1)[1] == "WARNING database unavailable code=SQLITE_FULL"
