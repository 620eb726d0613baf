"""The fuzz run's numbers, kept for the architecture page: operations and cases per target."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

STATS_FILE = Path("/tmp/tripbot-fuzz-stats.json")


@pytest.fixture(scope="session")
def fuzz_stats() -> Iterator[dict[str, dict[str, object]]]:
    """Each fuzz test's numbers by "<target>-<backend>", written to STATS_FILE at the end
    (merged with the file's earlier runs, so one backend's run keeps the other's numbers)."""
    stats: dict[str, dict[str, object]] = {}
    yield stats
    if not stats:
        return
    earlier = json.loads(STATS_FILE.read_text()) if STATS_FILE.exists() else {}
    STATS_FILE.write_text(json.dumps(earlier | stats, indent=1, sort_keys=True) + "\n")
