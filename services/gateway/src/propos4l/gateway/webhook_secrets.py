"""Webhook signing secrets at rest: encrypted with Fernet under WEBHOOK_SECRET_KEYS, so that a dump of the database
alone does not give them (HMAC needs the secret itself, so it cannot be hashed).

The first key encrypts; every key decrypts, so a key is rotated by putting a new one first and keeping the old one
until every row is re-encrypted (at the gateway's start, `WebhookStore.reseal`, or `propos4l webhooks rotate-keys`).
A stored secret names the key that sealed it (`fernet:<key id>:<token>`, the id a digest of the key, not the key), so
a key dropped too early is named when its secrets cannot be opened. Secrets sealed before key ids (`fernet:<token>`)
are tried with every key, and get their key's id at the next re-encryption.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "SEALED_PREFIX",
    "KeyMissing",
    "SecretBox",
    "SecretUnreadable",
    "WebhookKeysMissing",
    "fernet_key",
    "key_id",
    "sealing_key_id",
]

SEALED_PREFIX: Final = "fernet:"
_MIN_KEY_CHARACTERS: Final = 32
_KEY_PURPOSE: Final = b"propos4l webhook signing secrets"
_KEY_ID_PURPOSE: Final = b"propos4l webhook secret key id\x00"


class SecretUnreadable(Exception):
    """A stored secret none of the keys opens (a key was dropped too early, or the row was tampered with)."""


class KeyMissing(SecretUnreadable):
    """A stored secret sealed with a key that is not configured (named by its id)."""

    def __init__(self, missing_key_id: str) -> None:
        super().__init__(f"the secret was encrypted with key {missing_key_id}, which is not in WEBHOOK_SECRET_KEYS")
        self.key_id = missing_key_id


def fernet_key(text: str) -> bytes:
    """The Fernet key a configured key stands for: HKDF-SHA256 of the text, so any secret of at least 32 characters
    will do (`openssl rand -hex 32`, as for the other secrets); raises ValueError for a shorter one."""
    value = text.strip()
    if len(value) < _MIN_KEY_CHARACTERS:
        raise ValueError(f"must be at least {_MIN_KEY_CHARACTERS} characters (openssl rand -hex 32)")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_PURPOSE).derive(value.encode())
    return base64.urlsafe_b64encode(derived)


def key_id(text: str) -> str:
    """The id of a configured key: 8 hexadecimal digits of a SHA-256 of its Fernet key (names it, reveals nothing)."""
    return hashlib.sha256(_KEY_ID_PURPOSE + fernet_key(text)).hexdigest()[:8]


def sealing_key_id(stored: str) -> str | None:
    """The id of the key a stored secret was sealed with; None for a readable value or one sealed before key ids."""
    if not stored.startswith(SEALED_PREFIX):
        return None
    named, separator, _ = stored.removeprefix(SEALED_PREFIX).partition(":")
    return named if separator else None


class SecretBox:
    """Seals and opens webhook secrets with the configured keys, newest first."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._keys = {key_id(key): Fernet(fernet_key(key)) for key in reversed(keys)}  # a repeated key: its first place
        self.newest_key_id = key_id(keys[0])
        self.key_ids = tuple(dict.fromkeys(key_id(key) for key in keys))
        self._all = MultiFernet([Fernet(fernet_key(key)) for key in keys])

    def seal(self, secret: str) -> str:
        """The stored form of `secret`: `fernet:`, the newest key's id, and a token of that key."""
        token = self._keys[self.newest_key_id].encrypt(secret.encode()).decode()
        return f"{SEALED_PREFIX}{self.newest_key_id}:{token}"

    def open(self, stored: str) -> str:
        """The secret a stored value holds (raises KeyMissing when its key is not configured, SecretUnreadable when
        no key opens it)."""
        if not stored.startswith(SEALED_PREFIX):
            raise SecretUnreadable("the secret is not encrypted (the gateway re-encrypts such rows at its start)")
        sealed_with = sealing_key_id(stored)
        token = stored.removeprefix(SEALED_PREFIX).encode()
        opener: Fernet | MultiFernet = self._all  # sealed before key ids: any key may open it
        if sealed_with is not None:
            named = self._keys.get(sealed_with)
            if named is None:
                raise KeyMissing(sealed_with)
            opener, token = named, token.partition(b":")[2]
        try:
            return opener.decrypt(token).decode()
        except InvalidToken as error:
            raise SecretUnreadable("no key in WEBHOOK_SECRET_KEYS opens this secret") from error

    def resealed(self, stored: str) -> str | None:
        """`stored` sealed with the newest key, when it is not already (a readable secret from before encryption, one
        sealed before key ids, or one sealed with an older key); None when it needs nothing."""
        if sealing_key_id(stored) == self.newest_key_id:
            return None
        if not stored.startswith(SEALED_PREFIX):
            return self.seal(stored)
        return self.seal(self.open(stored))


class WebhookKeysMissing(Exception):
    """Stored secrets whose key is not in WEBHOOK_SECRET_KEYS: the gateway does not start (one line says which keys
    and what to do), since every delivery to those endpoints would fail."""

    def __init__(self, missing: Mapping[str | None, int], configured: Sequence[str]) -> None:
        self.missing = dict(missing)
        named = [
            f"key {key} (secrets of {count} webhook endpoint(s))"
            for key, count in sorted(self.missing.items(), key=lambda item: item[0] or "")
            if key is not None
        ]
        if None in self.missing:
            named.append(f"a key stored before key ids (secrets of {self.missing[None]} webhook endpoint(s))")
        super().__init__(
            f"WEBHOOK_SECRET_KEYS (key ids {', '.join(configured)}) lacks {' and '.join(named)}: put that key back "
            "after the newest (WEBHOOK_SECRET_KEYS=<newest>,<old>) and keep it until the secrets are re-encrypted "
            "with the newest (at the gateway's start, or `propos4l webhooks rotate-keys`); if it is lost, "
            "`propos4l webhooks rotate-keys --replace-lost` gives those endpoints new secrets and disables them"
        )
