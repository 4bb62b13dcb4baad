"""Domain errors of the renderer, each with a message a person can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "RenderError",
    "RenderLimitExceeded",
    "RenderTimeout",
    "TemplateError",
    "TemplateNotFound",
    "TemplateProblem",
]


class RenderError(Exception):
    """A proposal could not be rendered to PDF; the message says why."""


class RenderTimeout(RenderError):
    """Rendering took longer than the allowed wall-clock time."""


class RenderLimitExceeded(RenderError):
    """Rendering used more CPU time or memory, or produced more output, than allowed.

    `limit` names the limit, for clients to act on: cpu_time, memory, html_size, recursion, range,
    pages, pdf_size, output_size or export_size.
    """

    def __init__(self, message: str, limit: str = "resources") -> None:
        super().__init__(message)
        self.limit = limit

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the limit (errors cross from the worker processes)."""
        return (type(self), (str(self), self.limit))


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One thing wrong with a template, and where: a file, a line and a column when they are known."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        """`file:line:column: message`, with the parts that are known."""
        where = ":".join(str(part) for part in (self.file, self.line, self.column) if part is not None)
        return f"{where}: {self.message}" if where else self.message


class TemplateError(RenderError):
    """A template folder is invalid: bad name, missing files, bad manifest or a template bug."""

    def __init__(self, message: str, problems: Sequence[TemplateProblem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the problems (errors cross from the worker processes)."""
        return (type(self), (str(self), self.problems))


class TemplateNotFound(TemplateError):
    """No template folder of the requested name exists."""
