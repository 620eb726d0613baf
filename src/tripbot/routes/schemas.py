"""What the routes service accepts and answers: the schemas its API and its client share."""

from __future__ import annotations
