"""Opaque page cursors: a position in a list (one or more whole numbers) as a URL-safe string.

Shared by the API's lists and the client's bonus history, so both page the same way.
"""
from __future__ import annotations

import base64
import re

_POSITION = re.compile(r"^v1:[0-9]{1,19}(\.[0-9]{1,19})*$")


class CursorError(ValueError):
    """A cursor this portal did not give out."""


def encode_cursor(position) -> str | None:
    if position is None:
        return None
    numbers = position if isinstance(position, tuple) else (position,)
    text = "v1:" + ".".join(str(int(n)) for n in numbers)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int = 1):
    """The position a cursor stands for: one number, or a tuple of `parts` numbers."""
    try:
        text = base64.urlsafe_b64decode(cursor[:200] + "=" * (-len(cursor[:200]) % 4)).decode()
        if not _POSITION.match(text):
            raise ValueError
        numbers = tuple(int(n) for n in text[3:].split("."))
        if len(numbers) != parts or any(n >= 2 ** 63 for n in numbers):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise CursorError(cursor) from None
    return numbers[0] if parts == 1 else numbers
