"""``tripbot keys``: the Ed25519 key pairs that sign internal tokens in the distributed mode."""

from __future__ import annotations

import sys

import typer

keys_app = typer.Typer(
    help="Key pairs of the internal tokens between services (distributed mode).",
    no_args_is_help=True,
)


@keys_app.command("generate")
def generate() -> None:
    """Print a new key pair: give the private key to one caller only (the gateway, the bot, or
    a service calling the events service) as TRIPBOT_INTERNAL_SIGNING_KEY, and the public key
    to the services that accept that caller, in TRIPBOT_INTERNAL_PUBLIC_KEYS."""
    from tripbot.platform.keys import new_key_pair

    private, public = new_key_pair()
    sys.stdout.write(f"private_key={private}\npublic_key={public}\n")


@keys_app.command("public")
def public() -> None:
    """Print the public key of the private key read from standard input."""
    from tripbot.platform.keys import BadKey, private_key, public_text

    try:
        key = private_key(sys.stdin.readline(), "the private key read")
    except BadKey as error:
        sys.stderr.write(f"{error}\n")
        raise typer.Exit(2) from error
    sys.stdout.write(public_text(key.public_key()) + "\n")
