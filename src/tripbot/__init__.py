"""TripBot: a self-hosted system for clubs to run outings and events end to end."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tripbot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

SERVICES = ("events", "routes", "gear", "ledger", "agenda")
"""The domain services, in the order they are started and migrated."""
