"""The gateway's way to every service, as the person being served."""

from tripbot.clients import Services

__all__ = ["Services"]
