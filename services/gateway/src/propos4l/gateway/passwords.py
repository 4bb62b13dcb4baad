"""Passwords: Argon2id hashing through argon2-cffi, and the rules a new password must meet.

A password is never logged or stored: only its Argon2id PHC string (salt and parameters inside it). Verification
runs in a thread, so a slow hash does not hold the event loop.
"""

from __future__ import annotations

import asyncio
import functools
from importlib import resources
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MIN_PASSWORD_LENGTH", "PasswordRejected", "check_new_password", "hash_password", "verify_password"]

MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 256  # a longer one is refused before it is hashed: hashing a megabyte costs time

# argon2-cffi's defaults are RFC 9106's second recommended profile (Argon2id, t=3, m=64 MiB, p=4).
_HASHER: Final = PasswordHasher()
# Verified when the account does not exist, so that a wrong e-mail takes as long as a wrong password.
_DUMMY_HASH: Final = _HASHER.hash("propos4l-no-such-account")


class PasswordRejected(ValueError):
    """A new password that does not meet the rules; the message says which."""


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("propos4l.gateway").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_new_password(password: str, *, email: str = "") -> None:
    """Raise PasswordRejected unless `password` is long enough, not too long, not common and not the e-mail."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"A password may have at most {MAX_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        raise PasswordRejected("This password is one of the most common ones; choose another.")
    if email and lowered in {email.lower(), email.lower().split("@")[0]}:
        raise PasswordRejected("A password may not be the e-mail address.")


def hash_password(password: str) -> str:
    """The Argon2id PHC string of `password`."""
    return _HASHER.hash(password)


def _verify(stored_hash: str | None, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches `stored_hash` (None: no password, always False, in about the same time)."""
    return await asyncio.to_thread(_verify, stored_hash, password)
