"""The public REST API of one's Telegram link: a code for the bot, the link's state, unlinking."""

from __future__ import annotations

from apiflask import APIBlueprint

from tripbot.events.schemas import TelegramStatus
from tripbot.gateway import auth, telegram
from tripbot.gateway.schemas import TelegramLinkStart

bp = APIBlueprint("api_telegram", __name__, url_prefix="/api/v1", tag="Account")


@bp.post("/me/telegram/link-code")
@bp.output(TelegramLinkStart, status_code=201)
def create_link_code() -> TelegramLinkStart:
    """A one-time code (10 minutes) to link your Telegram account: open `deep_link`, or send
    the bot `/start <code>`. Older unused codes stop working."""
    auth.require_user()
    return telegram.start_linking()


@bp.get("/me/telegram")
@bp.output(TelegramStatus)
def telegram_status() -> TelegramStatus:
    """Whether your account is linked to Telegram, and since when."""
    auth.require_user()
    return auth.events().telegram_status()


@bp.delete("/me/telegram")
@bp.output({}, status_code=204)
def unlink_telegram() -> tuple[str, int]:
    """Unlink your Telegram account (204 also when none is linked)."""
    auth.require_user()
    auth.events().unlink_telegram()
    return "", 204
