"""Reading API input strictly: wrong types and shapes are a 422 with the field named."""
from __future__ import annotations

import json
import re

from flask import request

from portal.api.errors import ApiError
from portal.cursors import CursorError, decode_cursor
from portal.money import MoneyError, parse_amount, to_minor


def json_body() -> dict:
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw or b"null")
        json.dumps(body, ensure_ascii=False).encode("utf-8")  # refuses lone surrogates like "\ud800"
    except (ValueError, UnicodeError, RecursionError):
        raise ApiError("validation_error", "The body is not valid JSON.", {"body": "not valid UTF-8 JSON"}) from None
    if not isinstance(body, dict):
        raise ApiError("validation_error", "The body must be a JSON object.", {"body": "must be a JSON object"})
    return body


_MONEY = re.compile(r"^[0-9]{1,13}(\.[0-9]{1,2})?$")


def money_field(body: dict, name: str, errors: dict, default: str | None = None) -> int | None:
    """A money string as the contract writes it: digits, a dot, at most two decimals ("12.50")."""
    value = body.get(name, default)
    if not isinstance(value, str) or not _MONEY.match(value):
        errors[name] = "must be a string amount with two decimals, e.g. \"12.50\""
        return None
    try:
        return to_minor(parse_amount(value))
    except MoneyError as exc:
        errors[name] = f"not a valid amount: {exc}"
        return None


def int_field(value, name: str, errors: dict, minimum: int = 1, maximum: int = 100_000) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        errors[name] = f"must be a whole number from {minimum} to {maximum}"
        return None
    return value


def string_field(body: dict, name: str, errors: dict, *, required: bool = True, max_length: int = 300,
                 label: str | None = None) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        errors[label or name] = f"must be a non-empty string of at most {max_length} characters" if required \
            else f"must be a string of at most {max_length} characters"
        return None
    if "\x00" in value:  # no text column on any engine can hold a NUL character
        errors[label or name] = "must not contain NUL characters"
        return None
    return value


def sku_lines(body: dict, errors: dict) -> list[tuple[str, int]]:
    """`"lines": [{"sku", "qty"}, ...]` as (sku, qty) pairs; every wrong line is named in `errors`."""
    lines = body.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= 500:
        errors["lines"] = "must be a list of 1–500 lines"
        return []
    pairs = []
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            errors[f"lines[{i}]"] = "must be an object with sku and qty"
            continue
        sku = string_field(line, "sku", errors, max_length=64, label=f"lines[{i}].sku")
        qty = int_field(line.get("qty"), f"lines[{i}].qty", errors)
        if sku is not None and qty is not None:
            pairs.append((sku, qty))
    return pairs


_LIMIT = re.compile(r"^[0-9]{1,3}$")


def list_params(parts: int = 1):
    """(limit, position) from ?limit= (1–200, default 50) and the opaque ?cursor=.

    A position is one whole number, or a tuple of `parts` whole numbers.
    """
    raw_limit = request.args.get("limit", "50")
    if not _LIMIT.match(raw_limit) or not 1 <= int(raw_limit) <= 200:
        raise ApiError("validation_error", "limit must be a whole number from 1 to 200.", {"limit": "1–200"})
    cursor = request.args.get("cursor")
    if not cursor:
        return int(raw_limit), None
    try:
        return int(raw_limit), decode_cursor(cursor, parts)
    except CursorError:
        raise ApiError("validation_error", "The cursor is not valid.", {"cursor": "not a cursor this API gave"}) \
            from None
