"""``tripbot bot``: run the Telegram bot, or chat with it in a terminal (``bot console``)."""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Annotated

import typer

from tripbot.cli_settings import LazyConsole
from tripbot.platform.errors import DomainError
from tripbot.platform.logging import configure_logging, syslog_target
from tripbot.platform.settings import InsecureSettingsError, Settings, with_local_secrets

bot_app = typer.Typer(
    help="The Telegram bot: `tripbot bot` runs it; `tripbot bot console` tries it locally.",
    invoke_without_command=True,
)
console = LazyConsole(stderr=True, soft_wrap=True)


def _settings(data_dir: Path | None) -> Settings:
    try:
        settings = Settings()
    except InsecureSettingsError as error:
        console.print(f"[red]Refusing to start:[/red] {error}")
        raise typer.Exit(2) from error
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    if settings.env != "production":
        # Embedded TripBot keeps its secrets in the data dir: use the same ones.
        settings = with_local_secrets(settings)
    return settings


@bot_app.callback()
def bot(
    context: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address of /healthz, /readyz and /metrics.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of /healthz, /readyz and /metrics.")] = 8000,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
) -> None:
    """Run the Telegram bot (long polling, or webhook if TRIPBOT_BOT_WEBHOOK_URL is set)."""
    if context.invoked_subcommand is not None:
        return
    from tripbot.bot import runner
    from tripbot.bot.link import TelegramLink
    from tripbot.system import build_bot

    settings = _settings(data_dir)
    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        console.print(runner.CANNOT_START)
        raise typer.Exit(2)
    if settings.bot_webhook_url and settings.bot_webhook_secret is None:
        console.print(f"[red]Refusing to start:[/red] {runner.UNSIGNED_WEBHOOK}")
        raise typer.Exit(2)
    configure_logging(
        settings.log_level, settings.log_format, service="bot", syslog=syslog_target(settings)
    )
    try:
        runtime = build_bot(settings)
    except ValueError as missing:  # a missing service URL or signing key
        console.print(f"[red]Refusing to start:[/red] {missing}")
        raise typer.Exit(2) from missing
    link = TelegramLink()
    runner.serve_health(runtime, host, port, link)
    console.print(f"TripBot bot: health and metrics on http://{host}:{port}")
    status = runner.run(runtime, settings.bot_token.get_secret_value(), link, _say)
    if status:
        raise typer.Exit(status)


def _say(text: str) -> None:
    console.print(text, highlight=False)
    console.file.flush()  # seen at once, also when the terminal is a pipe (docker logs)


@bot_app.command("console")
def console_command(
    email: Annotated[str, typer.Option("--as", help="Chat as this TripBot account (its email).")],
    language: Annotated[
        str, typer.Option(help="Telegram language of the person: es or en.")
    ] = "es",
    group: Annotated[
        bool, typer.Option(help="Talk as in a group chat (for /bind, /join).")
    ] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
) -> None:
    """Chat with the bot without Telegram: one message per line in, the bot's replies out."""
    # Starting makes many long-lived objects (schemas, SQL metadata, handlers); the collector
    # walking them again and again while they are made cost a third of the console's start.
    gc.disable()
    from pydantic import ValidationError

    from tripbot.bot.console import chat
    from tripbot.events.schemas import UserLookup
    from tripbot.platform.identity import SYSTEM
    from tripbot.system import build_bot

    settings = _settings(data_dir)
    configure_logging("WARNING", settings.log_format, service="bot")
    try:
        runtime = build_bot(settings)
    except ValueError as missing:  # a missing service URL or signing key
        console.print(f"[red]Cannot chat:[/red] {missing}")
        raise typer.Exit(2) from missing
    try:
        account = runtime.services.events(SYSTEM).user_by_email(UserLookup(email=email))
    except ValidationError as error:
        console.print(f"[red]Cannot chat as {email}:[/red] not an email address")
        raise typer.Exit(2) from error
    except DomainError as error:
        console.print(f"[red]Cannot chat as {email}:[/red] {error.detail}")
        raise typer.Exit(2) from error

    def read_line() -> str | None:
        line = sys.stdin.readline()
        return line if line else None

    gc.freeze()  # what start-up made lives as long as the process: never collect it again
    gc.enable()

    console.print(
        f"Chatting with TripBot as {account.display_name} <{account.email}>; Ctrl-D ends."
    )
    asyncio.run(
        chat(runtime, account, language=language, group=group, read_line=read_line, out=sys.stdout)
    )
    # The interpreter's last collection would walk every object the services' schemas left
    # (half a second of a console's exit); nothing of them needs finalizing.
    gc.freeze()
