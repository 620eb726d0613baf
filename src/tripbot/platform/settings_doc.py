"""The configuration table of README.md, generated from the settings themselves."""

from __future__ import annotations

from pydantic import SecretStr

from tripbot.platform.settings import Settings


def configuration_table() -> str:
    """A Markdown table of every ``TRIPBOT_*`` variable, its default and its meaning."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, SecretStr):
            shown = "*(development only)*"
        elif default is None or default == {}:
            shown = "—"
        else:
            shown = f"`{default}`"
        # A pipe inside a cell would end it: Markdown tables take it escaped.
        shown, meaning = shown.replace("|", "\\|"), str(field.description).replace("|", "\\|")
        rows.append(f"| `TRIPBOT_{name.upper()}` | {shown} | {meaning} |")
    return "\n".join(rows)
