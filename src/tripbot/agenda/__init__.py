"""The agenda service: each event's timetable: places, activities, conflicts and calendar feeds."""

from pathlib import Path

from tripbot.platform.operations import Operations

MIGRATIONS = Path(__file__).parent / "migrations"

OPERATIONS = Operations("agenda", tag="Agenda")
"""Every operation of the agenda service, declared next to its use case."""
