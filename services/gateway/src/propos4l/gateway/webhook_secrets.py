"""Webhook signing secrets at rest: encrypted with Fernet under WEBHOOK_SECRET_KEYS, so that a dump of the database
alone does not give them (HMAC needs the secret itself, so it cannot be hashed).

The first key encrypts; every key decrypts, so a key is rotated by putting a new one first and keeping the old one
until the gateway has re-encrypted every row at its start (`WebhookStore.reseal`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SEALED_PREFIX", "SecretBox", "SecretUnreadable", "fernet_key"]

SEALED_PREFIX: Final = "fernet:"
_MIN_KEY_CHARACTERS: Final = 32
_KEY_PURPOSE: Final = b"propos4l webhook signing secrets"


class SecretUnreadable(Exception):
    """A stored secret none of the keys opens (a key was dropped too early, or the row was tampered with)."""


def fernet_key(text: str) -> bytes:
    """The Fernet key a configured key stands for: HKDF-SHA256 of the text, so any secret of at least 32 characters
    will do (`openssl rand -hex 32`, as for the other secrets); raises ValueError for a shorter one."""
    value = text.strip()
    if len(value) < _MIN_KEY_CHARACTERS:
        raise ValueError(f"must be at least {_MIN_KEY_CHARACTERS} characters (openssl rand -hex 32)")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_PURPOSE).derive(value.encode())
    return base64.urlsafe_b64encode(derived)


class SecretBox:
    """Seals and opens webhook secrets with the configured keys, newest first."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._newest = Fernet(fernet_key(keys[0]))
        self._all = MultiFernet([Fernet(fernet_key(key)) for key in keys])

    def seal(self, secret: str) -> str:
        """The stored form of `secret`: `fernet:` and a token of the newest key."""
        return SEALED_PREFIX + self._newest.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret a stored value holds (raises SecretUnreadable when no key opens it)."""
        if not stored.startswith(SEALED_PREFIX):
            raise SecretUnreadable("the secret is not encrypted (the gateway re-encrypts such rows at its start)")
        try:
            return self._all.decrypt(stored.removeprefix(SEALED_PREFIX).encode()).decode()
        except InvalidToken as error:
            raise SecretUnreadable("no key in WEBHOOK_SECRET_KEYS opens this secret") from error

    def resealed(self, stored: str) -> str | None:
        """`stored` sealed with the newest key, when it is not already (a readable secret from before encryption, or
        one sealed with an older key); None when it needs nothing."""
        if not stored.startswith(SEALED_PREFIX):
            return self.seal(stored)
        token = stored.removeprefix(SEALED_PREFIX).encode()
        try:
            self._newest.decrypt(token)
        except InvalidToken:
            return self.seal(self.open(stored))
        return None
