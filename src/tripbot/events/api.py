"""The events service's HTTP application: a route for each of its operations."""

from __future__ import annotations

from collections.abc import Mapping

from apiflask import APIFlask

from tripbot.events import OPERATIONS, service
from tripbot.events.service.accounts import ACCOUNT_POLICY, AccountPolicy
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.passwords import Passwords
from tripbot.platform.settings import Settings
from tripbot.platform.web import create_service_app

assert service.feed  # every use case module is imported, so every operation is declared


def extras(settings: Settings) -> Mapping[str, object]:
    """How accounts are opened and protected on this instance, from its settings."""
    policy = AccountPolicy(
        registration=settings.registration,
        passwords=Passwords(settings.password_hash_profile),
    )
    return {ACCOUNT_POLICY: policy}


def create_app(runtime: ServiceRuntime) -> APIFlask:
    """The events service application over its runtime (it calls no other service)."""
    return create_service_app(runtime, OPERATIONS)
