"""The public key of an internal-token private key, computed on the controller.

The vault keeps each caller's Ed25519 private key only (URL-safe base64 of its 32 raw bytes,
as `tripbot keys generate` prints it); the hosts get the public keys this filter derives.
``cryptography`` is there wherever Ansible is: ansible-core depends on it.
"""

from __future__ import annotations

import base64
import binascii

from ansible.errors import AnsibleFilterError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def ed25519_public(private: str) -> str:
    """The public key (URL-safe base64, unpadded) of a private key written the same way."""
    text = str(private).strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise AnsibleFilterError("an internal key is not URL-safe base64") from error
    if len(raw) != 32:
        raise AnsibleFilterError("an internal key is not an Ed25519 key (32 bytes)")
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key()
    raw_public = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw_public).decode().rstrip("=")


class FilterModule:
    """Ansible's entry point for the role's filters."""

    def filters(self) -> dict[str, object]:
        """The filters this plugin offers."""
        return {"ed25519_public": ed25519_public}
