"""Cells of a CSV file a spreadsheet opens: text it shows, never a formula it would run."""
from __future__ import annotations

# A cell starting with one of these is taken for a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The value as text; a leading = + - @ (or tab, CR) gets a quote in front, which spreadsheets
    show as text. None is the empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
