"""Keyset cursors of the library's lists: where a page ended (the last row's sort value and id), opaque to clients."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass

__all__ = ["InvalidCursor", "ListPosition"]


class InvalidCursor(ValueError):
    """A cursor this API did not give."""


@dataclass(frozen=True, slots=True)
class ListPosition:
    """The last row of a page: its sort value (as text) and its id."""

    value: str
    row_id: uuid.UUID

    def cursor(self) -> str:
        """The opaque text a client sends back as `after` for the next page."""
        return base64.urlsafe_b64encode(json.dumps([self.value, str(self.row_id)]).encode()).decode()

    @classmethod
    def from_cursor(cls, cursor: str) -> ListPosition:
        """The position a cursor stands for; raise `InvalidCursor`."""
        try:
            value, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
            if not isinstance(value, str):
                raise ValueError(value)
            return cls(value, uuid.UUID(row_id))
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            raise InvalidCursor("cursor is not one this API gave; start again without it") from None
