"""Text as people type it: runs of whitespace (spaces, tabs, new lines) squashed to one space."""
from __future__ import annotations


def squash(value, limit: int | None = None) -> str:
    """`value` with its whitespace squashed and trimmed, cut to `limit` characters; anything but a
    string (None, a number a hostile form sent) is the empty string. NUL characters count as
    whitespace: no database keeps them in text."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.replace("\x00", " ").split())
    return text[:limit] if limit is not None else text
