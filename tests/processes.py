"""Start TripBot processes (``python -m tripbot ...``) on free loopback ports, and stop them."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tripbot import SERVICES
from tripbot.platform.keys import new_key_pair
from tripbot.system import DEFINITIONS, callers_of


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _calls_others(service: str) -> bool:
    """Whether a service calls another (its peers) or reads another's feed: it signs then."""
    return bool(DEFINITIONS[service].peers or DEFINITIONS[service].follows)


@dataclass(frozen=True)
class InternalKeys:
    """A key pair for each caller of a test deployment: the gateway, the system (the bot), and
    each service that calls the events service."""

    private: dict[str, str]
    public: dict[str, str]

    @classmethod
    def new(cls) -> InternalKeys:
        """Fresh key pairs."""
        signers = [
            name for name in SERVICES if DEFINITIONS[name].peers or DEFINITIONS[name].follows
        ]
        pairs = {name: new_key_pair() for name in ("gateway", "system", *signers)}
        return cls(
            {name: private for name, (private, _) in pairs.items()},
            {name: public for name, (_, public) in pairs.items()},
        )

    def of(self, role: str) -> dict[str, str]:
        """The key variables of one process, as a deployment gives them: the gateway and the
        bot their own private key; a service the public keys of the callers it accepts, and its
        own private key if it calls the events service."""
        caller = "system" if role == "bot" else role
        env = {}
        if role not in DEFINITIONS or _calls_others(role):
            env["TRIPBOT_INTERNAL_SIGNING_KEY"] = self.private[caller]
        if role in SERVICES:
            callers = {name: self.public[name] for name in callers_of(role)}
            env["TRIPBOT_INTERNAL_PUBLIC_KEYS"] = json.dumps(callers)
        return env


KEYS = InternalKeys.new()
"""The key pairs of every deployment this test run starts."""


def production_environment(**extra: str) -> dict[str, str]:
    """Environment of a production-like process: real secrets, JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    env.update(
        TRIPBOT_ENV="production",
        TRIPBOT_SECRET_KEY=secrets.token_urlsafe(40),
        TRIPBOT_INTERNAL_SECRET=secrets.token_urlsafe(40),
        TRIPBOT_LOG_LEVEL="WARNING",
        # One worker process per `serve` keeps a suite of many processes within two cores;
        # the tests of several workers ask for them.
        TRIPBOT_WORKERS="1",
        # Every test client speaks from 127.0.0.1: the rate-limit tests set their own limits.
        TRIPBOT_AUTH_RATE_LIMIT="100000/minute",
        TRIPBOT_LOGIN_FAILURE_LIMIT="100000/minute",
    )
    env.update(extra)
    return env


@dataclass
class Process:
    """One running TripBot process and where it listens."""

    name: str
    args: list[str]
    env: dict[str, str]
    port: int
    log: Path
    popen: subprocess.Popen[bytes] | None = field(default=None)
    command: tuple[str, ...] = (sys.executable, "-m", "tripbot")
    """How to run TripBot: this checkout's, or e.g. an installed ``tripbot`` script."""
    cwd: Path | None = None
    """Its working directory (default: this one)."""

    def __post_init__(self) -> None:
        # `serve NAME` and `bot` get their own keys (and only those) unless the test gave some.
        keyed = {"TRIPBOT_INTERNAL_SIGNING_KEY", "TRIPBOT_INTERNAL_PUBLIC_KEYS"} & set(self.env)
        role = self.args[1] if self.args[:1] == ["serve"] and len(self.args) > 1 else None
        role = "bot" if self.args[:1] == ["bot"] else role
        if role is not None and not keyed:
            self.env = {**self.env, **KEYS.of(role)}

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/readyz", timeout: float = 30.0) -> float:
        """Start it and wait until it answers; returns the seconds it took."""
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [*self.command, *self.args, "--port", str(self.port)],
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: crash() kills its workers too
            )
        while time.perf_counter() - started < timeout:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + ready_path, timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} not ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def crash(self) -> None:
        """Kill it and every process it started outright (SIGKILL to its process group), as a
        crash of its container or an OOM kill of the whole service would: no goodbye."""
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL)."""
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
