"""Client-side encryption: round trips at every size, and any change, cut or wrong key is refused by name."""

from __future__ import annotations

import base64
import io
import os

import pytest

from propos4l.backup.crypto import CHUNK_BYTES, Cipher, DecryptionError, key_id_of, parse_key

KEY = bytes(range(32))


def encrypt(cipher: Cipher, data: bytes, piece: int = 100_000) -> bytes:
    return b"".join(cipher.encrypt(data[start : start + piece] for start in range(0, len(data), piece)))


def decrypt(cipher: Cipher, blob: bytes) -> bytes:
    return b"".join(cipher.decrypt(io.BytesIO(blob), "objects/ab/abcd.enc"))


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 2 * CHUNK_BYTES, 2_500_000])
def test_encryption_round_trips_every_size(size: int) -> None:
    cipher = Cipher(KEY)
    data = os.urandom(size)
    blob = encrypt(cipher, data)
    assert size < 16 or data not in blob  # nothing readable at rest (a byte or two may occur by chance)
    assert decrypt(cipher, blob) == data


def test_the_same_plaintext_encrypts_differently_each_time() -> None:
    cipher = Cipher(KEY)
    assert encrypt(cipher, b"proposal") != encrypt(cipher, b"proposal")


def test_a_flipped_byte_is_refused_naming_the_file() -> None:
    cipher = Cipher(KEY)
    blob = bytearray(encrypt(cipher, os.urandom(3 * CHUNK_BYTES // 2)))
    blob[CHUNK_BYTES + 100] ^= 0x01
    with pytest.raises(DecryptionError, match=r"objects/ab/abcd\.enc was altered.*chunk 1"):
        decrypt(cipher, bytes(blob))


@pytest.mark.parametrize("cut", ["inside the last chunk", "at a chunk boundary", "inside the header"])
def test_a_cut_file_is_refused(cut: str) -> None:
    cipher = Cipher(KEY)
    blob = encrypt(cipher, os.urandom(CHUNK_BYTES + 500))
    header = 24
    end = {
        "inside the last chunk": len(blob) - 10,
        "at a chunk boundary": header + CHUNK_BYTES + 16,
        "inside the header": 10,
    }[cut]
    with pytest.raises(DecryptionError):
        decrypt(cipher, blob[:end])


def test_another_key_is_named_not_tried() -> None:
    blob = encrypt(Cipher(KEY), b"data")
    other = Cipher(bytes(32))
    with pytest.raises(DecryptionError, match=f"encrypted with key {key_id_of(KEY)}.*key {other.key_id}"):
        decrypt(other, blob)


def test_a_plain_file_is_not_mistaken_for_an_encrypted_one() -> None:
    with pytest.raises(DecryptionError, match="not an encrypted Propos4l backup file"):
        decrypt(Cipher(KEY), b"%PDF-1.7 plain bytes")


def test_keys_are_read_as_base64_or_hex_and_short_ones_refused() -> None:
    assert parse_key(base64.b64encode(KEY).decode()) == KEY
    assert parse_key(base64.urlsafe_b64encode(KEY).decode()) == KEY
    assert parse_key(KEY.hex()) == KEY
    with pytest.raises(ValueError, match="32 bytes"):
        parse_key(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="base64"):
        parse_key("not a key!")


def test_a_previous_key_still_decrypts_after_a_rotation() -> None:
    old, new = os.urandom(32), os.urandom(32)
    blob = encrypt(Cipher(old), b"made before the rotation")
    rotated = Cipher(new, previous=[old])
    assert rotated.key_id == key_id_of(new) and rotated.knows(key_id_of(old))
    assert decrypt(rotated, blob) == b"made before the rotation"
    assert Cipher.key_id_in(encrypt(rotated, b"x")) == key_id_of(new)
