"""VAT rules with exact amounts (portal/services/sales/vat.py)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.services.sales import vat


@pytest.mark.parametrize("text, code", [
    ("20", "20"), ("20%", "20"), ("20 %", "20"), ("НДС 20%", "20"), ("ндс 10 %", "10"), ("18", "18"),
    ("0", "0"), ("0%", "0"), ("20,00", "20"), ("7", "7"), ("ПДВ 20%", "20"),
    ("Без НДС", "none"), ("без налога", "none"), ("Без ПДВ", "none"), ("none", "none"), ("  без\xa0НДС ", "none"),
])
def test_rates_as_1c_a_file_or_a_person_writes_them(text, code):
    assert vat.parse_rate(text) == code


@pytest.mark.parametrize("text", [None, "", "twenty", "20.5", "100", "-5", "18/118", "НДС"])
def test_what_is_no_rate_is_refused(text):
    with pytest.raises(vat.VatRateError):
        vat.parse_rate(text)


def test_a_product_without_a_rate_takes_the_companys():
    assert vat.rate_of(None, "20") == "20"
    assert vat.rate_of("10", "20") == "10"
    assert vat.rate_of("none", "20") == "none"


@pytest.mark.parametrize("amount, rate, expected", [
    (120_00, "20", 20_00),        # 120.00 incl. 20 %: 20.00
    (100_00, "20", 16_67),        # 16.666… → 16.67
    (99_99, "20", 16_67),         # 16.665 → 16.67 (half-up)
    (1, "20", 0),                 # 0.1666… kopeck → 0
    (3, "20", 1),                 # 0.5 → 1 (half-up)
    (110_00, "10", 10_00),
    (118_00, "18", 18_00),
    (1_000_00, "0", 0),
    (1_000_00, "none", 0),
    (0, "20", 0),
])
def test_the_vat_a_price_includes(amount, rate, expected):
    assert vat.included(amount, rate) == expected


def test_a_lines_vat_is_from_its_money_after_discounts_and_bonus_does_not_lower_it():
    # 3 × 333.33 = 999.99, 5 % discount 50.00 → 949.99; 20 % VAT included: 158.331… → 158.33.
    assert vat.of_line(333_33, 3, 50_00, "20") == 158_33
    # The same line paid partly with bonus has the same VAT: the bonus is a means of payment.
    assert vat.of_line(333_33, 3, 50_00, "20") == vat.included(949_99, "20")


def test_partial_returns_of_every_unit_give_back_the_lines_vat_exactly():
    line_vat, qty = 158_33, 3
    steps = [vat.returned(line_vat, 0, 1, qty), vat.returned(line_vat, 1, 2, qty), vat.returned(line_vat, 2, 3, qty)]
    assert steps == [52_77, 52_78, 52_78]
    assert sum(steps) == line_vat


@given(line_vat=st.integers(0, 10**9), qty=st.integers(1, 50), cuts=st.lists(st.integers(1, 50), max_size=10))
def test_any_sequence_of_partial_returns_restores_the_vat_to_the_kopeck(line_vat, qty, cuts):
    returned, given_back = 0, 0
    for cut in cuts:
        take = min(cut, qty - returned)
        if take == 0:
            break
        step = vat.returned(line_vat, returned, returned + take, qty)
        assert step >= 0
        given_back += step
        returned += take
    given_back += vat.returned(line_vat, returned, qty, qty)  # the rest comes back at last
    assert given_back == line_vat


def test_vat_per_rate_highest_first_with_no_vat_last():
    lines = [SimpleNamespace(vat_rate=r, vat=v) for r, v in (("10", 9_09), ("20", 16_67), ("none", 0), ("20", 3_33))]
    assert vat.by_rate(lines) == {"20": 20_00, "10": 9_09, "none": 0}
