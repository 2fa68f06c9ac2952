"""Money: integers of minor units, Decimal in Python, never float."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.money import (
    MoneyError,
    allocate,
    format_plain,
    from_minor,
    parse_amount,
    parse_signed_minor,
    percent_of,
    to_minor,
)


@pytest.mark.parametrize("text, expected", [
    ("1234.50", Decimal("1234.50")),
    ("1234,5", Decimal("1234.50")),
    ("0", Decimal("0.00")),
    ("0.01", Decimal("0.01")),
    (" 1 234,50 ", Decimal("1234.50")),
    ("1\u00a0234.5", Decimal("1234.50")),
    ("9999999999999.99", Decimal("9999999999999.99")),
    (12, Decimal("12.00")),
    (0, Decimal("0.00")),
    (Decimal("7.5"), Decimal("7.50")),
    (Decimal("7.500"), Decimal("7.50")),   # trailing zeros are not extra precision
])
def test_parse_amount_accepts(text, expected):
    value = parse_amount(text)
    assert value == expected
    assert isinstance(value, Decimal) and value.as_tuple().exponent == -2


@pytest.mark.parametrize("text", [
    1.5, 0.0, True, False, "-1", "-0.01", "1.234", "0.001", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf",
    "1e20", "10000000000000", "", "   ", "abc", "1,2,3", "1.2.3", "12 руб", None, [], Decimal("-5"),
    Decimal("1.001"), Decimal("NaN"),
])
def test_parse_amount_rejects(text):
    with pytest.raises(MoneyError):
        parse_amount(text)


@pytest.mark.parametrize("text", ["1e30", "1" * 40, "1e5", "-0", Decimal("1e30"), 10 ** 40])
def test_parse_amount_rejects_huge_numbers_with_money_error(text):
    with pytest.raises(MoneyError):
        parse_amount(text)


def test_minor_units_round_trip():
    assert to_minor(Decimal("1234.50")) == 123450
    assert to_minor(Decimal("0")) == 0
    assert from_minor(123450) == Decimal("1234.50")
    assert from_minor(5) == Decimal("0.05")
    assert str(from_minor(100)) == "1.00"
    for minor in (0, 1, 99, 100, 101, 123456789, 10 ** 15):
        assert to_minor(from_minor(minor)) == minor
    assert to_minor(parse_amount("1234,5")) == 123450


def test_to_minor_rounds_half_up():
    assert to_minor(Decimal("0.005")) == 1
    assert to_minor(Decimal("0.0049")) == 0
    assert to_minor(Decimal("0.025")) == 3      # half-up; banker's rounding would give 2
    assert to_minor(Decimal("1.994")) == 199
    assert to_minor(Decimal("1.995")) == 200
    assert isinstance(to_minor(Decimal("1.5")), int)


def test_format_plain():
    assert format_plain(123450) == "1234.50"
    assert format_plain(0) == "0.00"
    assert format_plain(7) == "0.07"


@pytest.mark.parametrize("minor, bp, expected", [
    (10000, 550, 550),        # 5.5 % of 100.00 = 5.50
    (1000, 550, 55),
    (12345, 1000, 1235),      # 1234.5 -> half-up
    (199, 50, 1),             # 0.995 -> 1
    (1, 5000, 1),             # 0.5 -> 1
    (1, 4999, 0),
    (0, 1000, 0),
    (12345, 0, 0),
    (12345, 10000, 12345),
])
def test_percent_of(minor, bp, expected):
    assert percent_of(minor, bp) == expected


@pytest.mark.parametrize("minor, bp, expected", [
    (12345, 1000, 1234),
    (199, 50, 0),
    (1, 5000, 0),
    (10000, 550, 550),
    (999, 9999, 998),         # 998.9001 -> 998
])
def test_percent_of_round_down(minor, bp, expected):
    assert percent_of(minor, bp, rounding=ROUND_DOWN) == expected


@pytest.mark.parametrize("total, weights, expected", [
    (100, [1, 1, 1], [34, 33, 33]),
    (1, [1, 1], [1, 0]),
    (2, [1, 1, 1], [1, 1, 0]),
    (0, [0, 0], [0, 0]),
    (0, [3, 5], [0, 0]),
    (0, [], []),
    (10, [0, 1], [0, 10]),
    (10, [1, 0, 1], [5, 0, 5]),
    (100, [1, 2], [33, 67]),    # remainders 1 and 2: the larger one gets the extra unit
    (101, [50, 50], [51, 50]),
    (7, [7], [7]),
    (1000, [250, 250, 500], [250, 250, 500]),
])
def test_allocate(total, weights, expected):
    assert allocate(total, weights) == expected


@pytest.mark.parametrize("total, weights", [(1, [0, 0]), (5, []), (-1, [1]), (10, [1, -1])])
def test_allocate_rejects(total, weights):
    with pytest.raises(ValueError):
        allocate(total, weights)


@given(total=st.integers(0, 10 ** 12),
       weights=st.lists(st.integers(0, 10 ** 9), min_size=1, max_size=12).filter(lambda w: sum(w) > 0))
def test_allocate_properties(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights):
        assert isinstance(part, int) and part >= 0
        exact = Fraction(total * weight, weight_sum)
        assert abs(part - exact) < 1
        if weight == 0:
            assert part == 0


@given(minor=st.integers(0, 10 ** 15 - 1))   # parse_amount takes amounts below 10**13 major units
def test_round_trip_property(minor):
    assert to_minor(from_minor(minor)) == minor
    assert to_minor(parse_amount(format_plain(minor))) == minor


@pytest.mark.parametrize("text, expected", [
    ("150,50", 15050), ("+150.50", 15050), ("-150,50", -15050), ("\u2212150.50", -15050), ("\u201320", -2000),
    (" - 1 234,5 ", -123450), ("0.01", 1), ("-0,01", -1),
])
def test_a_signed_amount_is_exact_minor_units(text, expected):
    assert parse_signed_minor(text) == expected


@pytest.mark.parametrize("text", ["", "-", "+-1", "--1", "1.234", "1e3", "abc", "-NaN"])
def test_a_signed_amount_refuses_what_is_not_one(text):
    with pytest.raises(MoneyError):
        parse_signed_minor(text)
