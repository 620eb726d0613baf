"""The public REST API's Telegram link code: the events service's code, with the bot's deep
link (the link's state and unlinking come from the events service's declarations)."""

from __future__ import annotations

from apiflask import APIBlueprint

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
