"""Pure rules of the events service: who outranks whom, when an invitation works, how secrets
are kept. No database here."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from tripbot.events.schemas import ROLE_RANK
from tripbot.platform.errors import Message, PermissionDenied

INVITATION_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What an invitation code can look like (``secrets.token_urlsafe``)."""


def secret_hash(secret: str) -> str:
    """The stored form of a random secret (token, session, link code)."""
    # The secrets are 128- or 256-bit random: a fast hash is enough and allows an indexed lookup.
    return hashlib.sha256(secret.encode()).hexdigest()


def require_rank(role: str, needed: str, refusal: Message) -> None:
    """Refuse unless an event role is at least ``needed``."""
    if ROLE_RANK[role] < ROLE_RANK[needed]:
        raise PermissionDenied(refusal)


def unusable_reason(
    revoked_at: datetime | None, expires_at: datetime, uses: int, max_uses: int, now: datetime
) -> Message | None:
    """Why an invitation no longer works, or None if it does."""
    if revoked_at is not None:
        return Message("this invitation was revoked")
    if expires_at <= now:
        return Message("this invitation has expired")
    if uses >= max_uses:
        return Message("this invitation has already been used")
    return None
