"""Passwords: Argon2id with the library's recommended parameters, and the rules a new password must meet."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from propos4l.gateway.passwords import (
    MIN_PASSWORD_LENGTH,
    PasswordRejected,
    check_new_password,
    hash_password,
    verify_password,
)


async def test_a_password_is_hashed_with_argon2id_salted_and_verified() -> None:
    first, second = hash_password("correct horse 2026"), hash_password("correct horse 2026")
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and first != second  # salted
    assert "correct horse" not in first
    assert await verify_password(first, "correct horse 2026")
    assert not await verify_password(first, "correct horse 2027")
    assert not await verify_password("not a hash", "correct horse 2026")
    assert not await verify_password(None, "correct horse 2026")  # no password: never matches
    assert not await verify_password(first, "x" * 10_000)  # refused before hashing


def test_hashes_made_with_other_parameters_still_verify() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("an older password 1")
    assert PasswordHasher().verify(old, "an older password 1")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", f"at least {MIN_PASSWORD_LENGTH}"),
        ("Password1234", "most common"),
        ("senha12345678", "most common"),
        ("aaaaaaaaaaaaaaaa", "most common"),  # too few different characters
        ("ana.souza@example.com", "e-mail"),
        ("x" * 257, "at most 256"),
    ],
)
def test_a_weak_new_password_is_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(PasswordRejected, match=reason):
        check_new_password(password, email="ana.souza@example.com")


def test_a_long_uncommon_password_is_accepted() -> None:
    check_new_password("tres pratos de trigo 2026", email="ana.souza@example.com")
