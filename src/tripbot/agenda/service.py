"""Use cases of the agenda service. Each runs in one unit of work and raises domain errors."""

from __future__ import annotations
