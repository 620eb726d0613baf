"""``python -m tripbot`` is the ``tripbot`` command."""

from tripbot.cli import app

app(prog_name="tripbot")
