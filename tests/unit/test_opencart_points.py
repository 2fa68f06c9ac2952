"""OpenCart points as portal money: exact Decimal arithmetic, half away from zero per row."""
from decimal import Decimal

import pytest

from portal.integrations.opencart.points import PointsError, parse_point_value, parse_points, points_to_minor


@pytest.mark.parametrize("points, value, minor", [
    (1, "1", 100), (120, "1", 12000), (-30, "1", -3000), (0, "1", 0),
    (3, "0.5", 150), (-5, "0.5", -250), (7, "0.33", 231), (1, "0.001", 0),
    (1, "0.005", 1), (-1, "0.005", -1), (3, "0.005", 2), (-3, "0.005", -2), (1, "0.004", 0), (-1, "0.004", 0),
    (2, "0.0075", 2), (99999999, "2.5", 24999999750), ("10.0000", "1", 1000), (" -7 ", "1", -700),
])
def test_points_to_minor_units(points, value, minor):
    assert points_to_minor(points, parse_point_value(value)) == minor


def test_an_award_and_its_spend_cancel_whatever_the_rounding():
    for value in ("0.005", "0.015", "0.333333", "1.005"):
        v = parse_point_value(value)
        for points in (1, 3, 17, 12345):
            assert points_to_minor(points, v) + points_to_minor(-points, v) == 0


@pytest.mark.parametrize("text", ["0", "-1", "abc", "NaN", "Infinity", "0.0000001", "1000001", 0.5])
def test_bad_point_values(text):
    with pytest.raises(PointsError):
        parse_point_value(text)


def test_default_point_value_is_one():
    assert parse_point_value(None) == Decimal(1)
    assert parse_point_value("0,5") == Decimal("0.5")


@pytest.mark.parametrize("value", ["1.5", "1O0", "", 2.0, True, "1e20", "nan"])
def test_bad_points(value):
    with pytest.raises(PointsError):
        parse_points(value)
