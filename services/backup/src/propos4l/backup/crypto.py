"""Client-side encryption of backup files: AES-256-GCM in authenticated chunks, so any change or cut is detected.

Layout of an encrypted file: an 24-byte header (magic, key id, nonce prefix), then chunks of at most 1 MiB of
plaintext, each sealed with its own nonce (prefix + chunk number) and with the header and a last-chunk flag as
associated data. The last chunk is always shorter than a full one (possibly empty), so a file cut at a chunk
boundary, reordered chunks, or chunks from another file fail authentication instead of decrypting to less data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["CHUNK_BYTES", "Cipher", "DecryptionError", "key_id_of", "parse_key"]

CHUNK_BYTES: Final = 1024 * 1024
ALGORITHM: Final = "AES-256-GCM"
_MAGIC: Final = b"P4LBKE01"
_KEY_ID_BYTES: Final = 8
_PREFIX_BYTES: Final = 8
_HEADER_BYTES: Final = len(_MAGIC) + _KEY_ID_BYTES + _PREFIX_BYTES
_TAG_BYTES: Final = 16
_SEALED_CHUNK: Final = CHUNK_BYTES + _TAG_BYTES
_LAST: Final = b"\x01"
_MORE: Final = b"\x00"


class DecryptionError(ValueError):
    """An encrypted file that is not ours, was encrypted with another key, or was altered or cut."""


def parse_key(text: str) -> bytes:
    """The 32-byte key written as base64 (standard or URL-safe) or 64 hex digits; ValueError otherwise."""
    value = text.strip()
    if len(value) == 64 and all(char in "0123456789abcdefABCDEF" for char in value):
        return bytes.fromhex(value)
    try:
        key = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "must be 32 random bytes written as base64 (openssl rand -base64 32) or 64 hex digits"
        ) from None
    if len(key) != 32:
        raise ValueError(f"must decode to 32 bytes for AES-256, not {len(key)} (use: openssl rand -base64 32)")
    return key


def key_id_of(key: bytes) -> str:
    """A short public name of a key, so a file can say which key it needs without revealing it."""
    return hashlib.sha256(b"propos4l-backup-key-id\x00" + key).hexdigest()[: _KEY_ID_BYTES * 2]


class Cipher:
    """Encrypts with the current key; decrypts with it or with a previous one (after a key rotation)."""

    algorithm: Final = ALGORITHM

    def __init__(self, key: bytes, previous: Iterable[bytes] = ()) -> None:
        keys = [key, *previous]
        if any(len(each) != 32 for each in keys):
            raise ValueError("an AES-256 key is 32 bytes")
        self._aead = AESGCM(key)
        self.key_id = key_id_of(key)
        self._key_id_bytes = bytes.fromhex(self.key_id)
        self._decrypters = {key_id_of(each): AESGCM(each) for each in reversed(keys)}

    def knows(self, key_id: str) -> bool:
        """Whether a file encrypted with `key_id` can be decrypted."""
        return key_id in self._decrypters

    @staticmethod
    def key_id_in(header: bytes) -> str | None:
        """The key id in the first bytes of an encrypted file, or None when they are not our header."""
        if len(header) < len(_MAGIC) + _KEY_ID_BYTES or not header.startswith(_MAGIC):
            return None
        return header[len(_MAGIC) : len(_MAGIC) + _KEY_ID_BYTES].hex()

    def encrypt(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Encrypt a stream of plaintext pieces of any size; yield the encrypted file piece by piece."""
        header = _MAGIC + self._key_id_bytes + os.urandom(_PREFIX_BYTES)
        yield header
        buffer = bytearray()
        counter = 0
        for piece in chunks:
            buffer += piece
            # Keep at least one byte back: the last chunk must be the short one.
            while len(buffer) > CHUNK_BYTES:
                yield self._seal(header, counter, bytes(buffer[:CHUNK_BYTES]), last=False)
                del buffer[:CHUNK_BYTES]
                counter += 1
        if len(buffer) == CHUNK_BYTES:
            yield self._seal(header, counter, bytes(buffer), last=False)
            buffer.clear()
            counter += 1
        yield self._seal(header, counter, bytes(buffer), last=True)

    def decrypt(self, source: BinaryIO, name: str = "file") -> Iterator[bytes]:
        """Yield the plaintext of the encrypted file read from `source`; raise DecryptionError naming `name`."""
        header = source.read(_HEADER_BYTES)
        if len(header) < _HEADER_BYTES or not header.startswith(_MAGIC):
            raise DecryptionError(f"{name} is not an encrypted Propos4l backup file (bad header)")
        file_key_id = header[len(_MAGIC) : len(_MAGIC) + _KEY_ID_BYTES].hex()
        aead = self._decrypters.get(file_key_id)
        if aead is None:
            raise DecryptionError(
                f"{name} was encrypted with key {file_key_id}, but BACKUP_ENCRYPTION_KEY is key {self.key_id} "
                "(set the old key in BACKUP_ENCRYPTION_PREVIOUS_KEYS)"
            )
        counter = 0
        while True:
            sealed = _read_exactly(source, _SEALED_CHUNK)
            last = len(sealed) < _SEALED_CHUNK
            if len(sealed) < _TAG_BYTES:
                raise DecryptionError(f"{name} is truncated: it ends before its last chunk ({counter})")
            try:
                yield aead.decrypt(_nonce(header, counter), sealed, header + (_LAST if last else _MORE))
            except InvalidTag:
                raise DecryptionError(
                    f"{name} was altered, corrupted or cut short: chunk {counter} fails authentication"
                ) from None
            if last:
                return
            counter += 1

    def _seal(self, header: bytes, counter: int, plaintext: bytes, *, last: bool) -> bytes:
        return self._aead.encrypt(_nonce(header, counter), plaintext, header + (_LAST if last else _MORE))


def _nonce(header: bytes, counter: int) -> bytes:
    if counter >= 2**32:
        raise ValueError("file too large to encrypt with one nonce prefix")
    return header[-_PREFIX_BYTES:] + counter.to_bytes(4, "big")


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    """Read `size` bytes unless the file ends first (a pipe may return less per read)."""
    parts = []
    remaining = size
    while remaining > 0:
        part = source.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)
