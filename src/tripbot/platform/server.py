"""The production server of one service: gunicorn with several worker processes (each with
threads), so a service uses every core; ``tripbot run`` keeps waitress in one process.

The application is built in each worker after it is forked (database pools, threads and the
syslog forwarder never cross a fork); metrics of all workers add up through a shared directory
(``tripbot.platform.metrics.share_between_processes``).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from tripbot.platform.metrics import forget_process, share_between_processes

WSGIApp = Callable[..., Any]


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity, which containers' cpusets narrow)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


class _TripBotLogger(Logger):  # type: ignore[misc]
    """Gunicorn's own lines through TripBot's logging (JSON or console, syslog), no access log
    of its own: TripBot writes one record per request itself."""

    def setup(self, cfg: Any) -> None:
        """Let gunicorn's records reach the root logger's handler."""
        super().setup(cfg)
        for name in ("gunicorn.error", "gunicorn.access"):
            own = logging.getLogger(name)
            own.handlers.clear()
            own.propagate = True
        logging.getLogger("gunicorn.access").setLevel(logging.WARNING)


class _Server(BaseApplication):  # type: ignore[misc]
    """Gunicorn configured in code, the application built by ``load`` in each worker."""

    def __init__(self, load: Callable[[], WSGIApp], options: dict[str, Any]) -> None:
        self._load = load
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply the options."""
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        """Build the application (in the worker)."""
        return self._load()


def serve_workers(
    load: Callable[[], WSGIApp],
    *,
    name: str,
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int = 60,
) -> None:
    """Serve ``load()``'s application with ``workers`` processes of ``threads`` threads each,
    until SIGTERM or SIGINT (gunicorn's graceful stop)."""
    if workers > 1:
        share_between_processes(Path(tempfile.mkdtemp(prefix=f"tripbot-{name}-metrics-")))

    def child_exit(_server: object, worker: Any) -> None:
        forget_process(worker.pid)

    options: dict[str, Any] = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 20,
        "keepalive": 5,
        "proc_name": f"tripbot-{name}",
        "accesslog": None,
        "errorlog": "-",
        "logger_class": _TripBotLogger,
        "child_exit": child_exit,
        "worker_tmp_dir": tempfile.gettempdir(),
        "control_socket_disable": True,
    }
    _Server(load, options).run()
