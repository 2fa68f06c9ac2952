"""Money: integers of minor units in the database, Decimal in Python, never float.

Rounding is half-up to the minor unit unless a rule says otherwise.
"""
from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

MINOR_PER_MAJOR = 100  # both supported currencies (RUB, UAH) have kopecks
_QUANTUM = Decimal("0.01")


class MoneyError(ValueError):
    """A value that is not an amount of money."""


_AMOUNT_TEXT = re.compile(r"^[0-9]{1,13}(\.[0-9]{1,2})?$")


def parse_amount(text: str | int | Decimal) -> Decimal:
    """Parse a non-negative amount with at most two decimals ("1234.50", "1234,5", 12).

    Raises MoneyError for anything else: floats, negatives, three decimals, exponents, NaN,
    and anything of 10^13 or more.
    """
    if isinstance(text, (bool, float)):
        raise MoneyError("amount must be a decimal string, not a float")
    if isinstance(text, str):
        text = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not text:
            raise MoneyError("amount is empty")
        if text.startswith("-"):
            raise MoneyError("amount is negative")
        if not _AMOUNT_TEXT.match(text):
            raise MoneyError("not an amount with at most two decimals")
        return Decimal(text).quantize(_QUANTUM)
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError("not a number") from None
    if not value.is_finite():
        raise MoneyError("not a finite number")
    if value < 0:
        raise MoneyError("amount is negative")
    if value >= Decimal(10) ** 13:
        raise MoneyError("amount is too large")
    if value != value.quantize(_QUANTUM, rounding=ROUND_DOWN):
        raise MoneyError("more than two decimals")
    return value.quantize(_QUANTUM)


def to_minor(amount: Decimal) -> int:
    """Decimal major units -> integer minor units, half-up."""
    return int((Decimal(amount) * MINOR_PER_MAJOR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


_MINUS = ("-", "\u2212", "\u2013")  # hyphen-minus, the minus sign, an en dash typed for one


def parse_signed_minor(text: str) -> int:
    """"150,50" -> 15050, "-150,50" / "−150.50" -> -15050, "+20" -> 2000: a signed amount in minor
    units (a correction that adds or takes away). MoneyError as parse_amount."""
    value = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    sign = 1
    if value[:1] in _MINUS:
        sign, value = -1, value[1:]
    elif value[:1] == "+":
        value = value[1:]
    return sign * to_minor(parse_amount(value))


def from_minor(minor: int) -> Decimal:
    """Integer minor units -> Decimal major units with two places."""
    return (Decimal(int(minor)) / MINOR_PER_MAJOR).quantize(_QUANTUM)


def format_plain(minor: int) -> str:
    """'1234.50': the API's money string."""
    return f"{from_minor(minor):.2f}"


def percent_of(minor: int, basis_points: int, rounding=ROUND_HALF_UP) -> int:
    """`basis_points` (1 % = 100) of an amount in minor units, rounded to the minor unit."""
    exact = Decimal(int(minor)) * Decimal(int(basis_points)) / Decimal(10000)
    return int(exact.quantize(Decimal(1), rounding=rounding))


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` minor units over `weights` in proportion, by largest remainder.

    The parts are integers that add up to `total` exactly; ties in the remainder go to the
    earlier weight. All weights zero: everything to nothing is impossible, so it is an error
    unless total is zero.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate takes non-negative amounts")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total == 0:
            return [0] * len(weights)
        raise ValueError("cannot allocate a positive amount over zero weights")
    floors = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def parse_percent(text: str | int | Decimal) -> int:
    """A percentage from 0 to 100 with at most two decimals ("7,5", "12.25") as basis points (750, 1225)."""
    value = parse_amount(text)
    if value > 100:
        raise MoneyError("a percentage cannot be over 100")
    return int(value * 100)
