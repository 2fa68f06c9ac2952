"""Row ids as every engine keeps them: 32-bit integers from 1.

A number outside that range names no row; passed to the database it is an error (PostgreSQL's
integer out of range, SQLite's overflow), so anything typed or posted goes through `parse_id`."""
from __future__ import annotations

MAX_ID = 2 ** 31 - 1


def parse_id(value) -> int | None:
    """The id in a form or query value ("12", 12), or None when it cannot be any row's id
    (empty, not ASCII digits — "²" is a digit to str.isdigit, not to int — zero, or too large)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
