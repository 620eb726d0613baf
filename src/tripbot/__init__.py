"""TripBot: a self-hosted system for clubs to run outings and events end to end."""

import sys
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tripbot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

SERVICES = ("events", "routes", "gear", "ledger", "agenda")
"""The domain services, in the order they are started and migrated."""


def _without_console_libraries() -> None:
    """Import structlog and httpx without rich and pygments (~6 MiB in every process).

    Both load them whenever they are installed (typer's command line brings them): structlog
    for coloured console tracebacks (TripBot logs JSON, and rich's tracebacks made each logged
    error cost seconds), httpx for its own command-line client, which TripBot never runs. The
    command line still imports rich itself where it draws progress bars and tables.
    """
    if "structlog" in sys.modules and "httpx" in sys.modules:
        return
    hidden = [name for name in ("rich", "pygments") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # "not installed", for this moment
    try:
        import httpx  # noqa: F401
        import structlog  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


_without_console_libraries()
