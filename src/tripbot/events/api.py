"""The events service's HTTP application: a route for each of its operations."""

from __future__ import annotations

from collections.abc import Mapping

from apiflask import APIFlask

from tripbot.events import OPERATIONS, service
from tripbot.events.models import mail_outbox
from tripbot.events.service.accounts import ACCOUNT_POLICY, AccountPolicy
from tripbot.platform.mail import MailSender, sender_domain
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.passwords import Passwords
from tripbot.platform.settings import Settings
from tripbot.platform.smtp import SmtpTarget
from tripbot.platform.web import create_service_app

assert service.feed  # every use case module is imported, so every operation is declared


def extras(settings: Settings) -> Mapping[str, object]:
    """How accounts are opened and protected on this instance, from its settings."""
    policy = AccountPolicy(
        registration=settings.registration,
        passwords=Passwords(settings.password_hash_profile),
        mail_domain=sender_domain(settings.mail_from or "") if settings.mail_enabled else None,
    )
    return {ACCOUNT_POLICY: policy}


def create_app(runtime: ServiceRuntime) -> APIFlask:
    """The events service application over its runtime (it calls no other service)."""
    return create_service_app(runtime, OPERATIONS)


def mail_sender(runtime: ServiceRuntime) -> MailSender | None:
    """The sender of the service's mail outbox, where this TripBot sends email."""
    settings = runtime.settings
    if settings.smtp_url is None or settings.mail_from is None:
        return None
    target = SmtpTarget.parse(settings.smtp_url.get_secret_value())
    return MailSender(runtime.database, mail_outbox, target, settings.mail_from)
