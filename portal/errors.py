"""Domain errors raised by the services and translated to pages or JSON by the doors."""
from __future__ import annotations


class DomainError(Exception):
    """A rule refused the operation. `message` is for a person (may be a lazy translation)."""

    code = "conflict"

    def __init__(self, message, *, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code


class ValidationError(DomainError):
    """Input broke a rule; `fields` maps each wrong field to what is wrong with it."""

    code = "validation_error"

    def __init__(self, fields: dict, message=None):
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    """The person may not act on this object (a 403 for the web doors)."""

    code = "forbidden"
