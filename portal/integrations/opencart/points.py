"""OpenCart reward points as portal money.

One point is worth `point_value` units of the portal currency (1 by default), so an amount in minor
units is points x point_value x 100, computed exactly with Decimal. When that is not a whole number
of minor units it is rounded half away from zero (ROUND_HALF_UP on the magnitude), row by row, so
a spend of k points always cancels an earlier award of k points exactly:
at 0.005 per point, +1 point is 1 kopeck (0.5 rounded up) and -1 point is -1 kopeck.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from portal.money import MINOR_PER_MAJOR

MAX_POINT_VALUE = Decimal("1000000")


class PointsError(ValueError):
    """A points figure or a point value that cannot be used."""


def parse_point_value(text: str | Decimal | int | None) -> Decimal:
    """'0.5' -> Decimal('0.5'); positive, finite, at most 1 000 000 and at most 6 decimals."""
    if text is None or text == "":
        return Decimal(1)
    if isinstance(text, (float, bool)):
        raise PointsError("the point value must be a decimal, not a float")
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise PointsError(f"the point value {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise PointsError(f"the point value must be a positive number, not {text!r}")
    if value > MAX_POINT_VALUE:
        raise PointsError(f"the point value {text!r} is too large")
    if value.as_tuple().exponent < -6:
        raise PointsError(f"the point value {text!r} has more than 6 decimals")
    return value.normalize() if value == value.to_integral_value() else value


def parse_points(value: int | str | Decimal) -> Decimal:
    """A points figure as OpenCart stores it (an integer, possibly negative; a CSV may write '10.0000')."""
    if isinstance(value, (bool, float)):
        raise PointsError(f"points must be a whole number, not {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        points = value
    else:
        text = str(value).strip()
        try:
            points = Decimal(text)
        except InvalidOperation:
            raise PointsError(f"points {value!r} is not a number") from None
    if not points.is_finite() or points != points.to_integral_value():
        raise PointsError(f"points must be a whole number, not {value!r}")
    if abs(points) >= 10 ** 12:
        raise PointsError(f"points {value!r} is out of range")
    return points


def points_to_minor(points: int | str | Decimal, point_value: Decimal) -> int:
    """Minor units of the portal currency for `points` (see the module's rounding rule)."""
    exact = parse_points(points) * point_value * MINOR_PER_MAJOR
    magnitude = abs(exact).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(magnitude) if exact >= 0 else -int(magnitude)
