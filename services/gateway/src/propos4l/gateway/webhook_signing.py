"""Standard Webhooks signing (https://www.standardwebhooks.com): secrets, and the headers of each try."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Final

__all__ = ["SECRET_PREFIX", "new_secret", "signature_headers"]

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the prefix the specification gives secrets, not one


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64, as the specification writes them."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_headers(secrets_in_force: Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The webhook-id, webhook-timestamp and webhook-signature headers; one signature per secret in force (the new
    and, during a rotation's grace period, the previous), so a receiver with either verifies the message."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(_signature(secret, message_id, timestamp, body) for secret in secrets_in_force),
    }
