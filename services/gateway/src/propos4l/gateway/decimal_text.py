"""Exact decimals in the API: written as strings ("5499.99"), never JSON numbers, so no client rounds them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import StringConstraints

__all__ = ["DecimalText", "decimal_text"]

DecimalText = Annotated[str, StringConstraints(pattern=r"^-?[0-9]+(\.[0-9]+)?$")]


def decimal_text(value: Decimal) -> str:
    """`value` as a plain decimal string, never in exponent notation ("1E+3")."""
    return format(value, "f")
