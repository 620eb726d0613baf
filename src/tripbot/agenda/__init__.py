"""The agenda service: each event's timetable: places, activities, conflicts and calendar feeds."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
