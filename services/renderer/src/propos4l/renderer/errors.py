"""Domain errors of the renderer, each with a message a person can act on."""

from __future__ import annotations

__all__ = ["RenderError", "RenderTimeout", "TemplateError", "TemplateNotFound"]


class RenderError(Exception):
    """A proposal could not be rendered to PDF; the message says why."""


class RenderTimeout(RenderError):
    """Rendering took longer than the allowed wall-clock time."""


class TemplateError(RenderError):
    """A template folder is invalid: bad name, missing files, bad manifest or a template bug."""


class TemplateNotFound(TemplateError):
    """No template folder of the requested name exists."""
