"""Field errors in one shape, wherever input is refused: the HTTP API's 422 `errors` and the intake's rejections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from propos4l.shared.events import FieldError

__all__ = ["field_errors"]

# The bounds a field error may carry to its client (from pydantic's error context), e.g. {"max_length": 200}.
_LIMIT_KEYS: Final = frozenset({"min_length", "max_length", "ge", "gt", "le", "lt", "pattern", "expected"})


def _json_value(value: object) -> int | float | str:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip: frozenset[str] = frozenset()) -> list[FieldError]:
    """pydantic's error details as field errors; location parts in `skip` (such as `body`) are left out."""
    items = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ()) if str(part) not in skip]
        message = "is required" if item.get("type") == "missing" else str(item.get("msg", "invalid"))
        context = item.get("ctx") or {}
        limits = {key: _json_value(value) for key, value in context.items() if key in _LIMIT_KEYS}
        items.append(
            FieldError(
                field=".".join(location) or "body",
                message=message,
                type=str(item.get("type", "invalid")),  # pydantic's error type: a client can word it in its language
                limits=limits or None,
            )
        )
    return items
