"""Helpers shared by the web forms."""
from __future__ import annotations

from urllib.parse import urlsplit

from portal.errors import ValidationError


def apply_errors(form, exc: ValidationError) -> None:
    """Show a service's field errors next to the form's fields (or above the form)."""
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [str(message)]
        else:
            form.form_errors.append(str(message))


def safe_next(target: str | None) -> str | None:
    """Only local paths may be redirected to after a sign-in or a language switch."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
