"""Money rules of an order, with exact amounts."""
from hypothesis import given
from hypothesis import strategies as st

from portal.services.sales.pricing import price_lines, redeem_cap, share

RULES = {"max_redeem_share_bp": 3000, "accrual_rate_bp": 500}


def test_discount_applies_to_discountable_lines_only_half_up():
    pricing = price_lines([(10_005, 1, True), (5_000, 2, False)], discount_bp=550, bonus=0, **RULES)
    # 5.5 % of 100.05 = 5.50275 -> 5.50; the second line is not discountable.
    assert [line.discount for line in pricing.lines] == [550, 0]
    assert pricing.total == 10_005 + 10_000 - 550


def test_redeem_cap_is_rounded_down():
    assert redeem_cap(10_001, 3000) == 3000  # 30.003 -> 30.00
    assert redeem_cap(1, 3000) == 0          # a one-kopeck order takes no bonus
    assert redeem_cap(10, 3000) == 3


def test_bonus_is_allocated_by_largest_remainder_and_lines_balance():
    pricing = price_lines([(100, 1, True), (100, 1, True), (100, 1, True)], discount_bp=0, bonus=90, **RULES)
    assert [line.bonus for line in pricing.lines] == [30, 30, 30]
    pricing = price_lines([(100, 1, True), (100, 1, True), (100, 1, True)], discount_bp=0, bonus=89, **RULES)
    assert [line.bonus for line in pricing.lines] == [30, 30, 29]
    for line in pricing.lines:
        assert line.price * line.qty - line.discount == line.bonus + line.paid


def test_accrual_is_five_percent_of_money_paid_rounded_down():
    pricing = price_lines([(33_333, 3, True)], discount_bp=0, bonus=29_999, **RULES)
    # total 999.99, bonus 299.99 (the cap), paid 700.00 -> accrual 35.00
    assert pricing.redeem_cap == 29_999
    assert pricing.paid == 70_000
    assert pricing.accrual == 3_500


def test_accrual_allocated_over_lines_by_money_paid():
    pricing = price_lines([(1_999, 1, True), (999, 3, True)], discount_bp=0, bonus=0, **RULES)
    # paid 19.99 + 29.97 = 49.96 -> 5 % = 2.498 -> 2.49 ; split 249 in 1999:2997
    assert pricing.accrual == 249
    assert [line.accrual for line in pricing.lines] == [100, 149]


def test_one_kopeck_order():
    pricing = price_lines([(1, 1, True)], discount_bp=500, bonus=0, **RULES)
    assert (pricing.lines[0].discount, pricing.paid, pricing.accrual, pricing.redeem_cap) == (0, 1, 0, 0)


def test_hundred_percent_discount():
    pricing = price_lines([(12_345, 2, True), (100, 1, False)], discount_bp=10_000, bonus=0, **RULES)
    assert [line.paid for line in pricing.lines] == [0, 100]
    assert pricing.accrual == 5
    assert pricing.redeem_cap == 30


def test_no_client_no_accrual():
    pricing = price_lines([(10_000, 1, True)], discount_bp=0, bonus=0, accrues=False, **RULES)
    assert pricing.accrual == 0


def test_share_of_returns_of_one_of_three_units_adds_up():
    amounts = [share(100, q, 3) - share(100, q - 1, 3) for q in (1, 2, 3)]
    assert amounts == [33, 33, 34] and sum(amounts) == 100


@given(st.lists(st.tuples(st.integers(1, 10_000_000), st.integers(1, 50), st.booleans()), min_size=1, max_size=6),
       st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000), st.data())
def test_every_line_balances(lines, discount_bp, share_bp, rate_bp, data):
    probe = price_lines(lines, discount_bp=discount_bp, bonus=0, max_redeem_share_bp=share_bp, accrual_rate_bp=rate_bp)
    bonus = data.draw(st.integers(0, probe.redeem_cap))
    pricing = price_lines(lines, discount_bp=discount_bp, bonus=bonus, max_redeem_share_bp=share_bp,
                          accrual_rate_bp=rate_bp)
    assert pricing.bonus == bonus
    for line in pricing.lines:
        assert line.price * line.qty - line.discount == line.bonus + line.paid
        assert min(line.discount, line.bonus, line.paid, line.accrual) >= 0
    assert pricing.accrual == pricing.paid * rate_bp // 10_000


@given(st.integers(0, 10 ** 12), st.integers(1, 1000), st.data())
def test_any_sequence_of_partial_returns_gives_back_the_whole(amount, qty, data):
    steps = data.draw(st.lists(st.integers(1, qty), max_size=qty))
    returned, total = 0, 0
    for step in steps:
        step = min(step, qty - returned)
        if step == 0:
            break
        part = share(amount, returned + step, qty) - share(amount, returned, qty)
        assert part >= 0
        total += part
        returned += step
    total += share(amount, qty, qty) - share(amount, returned, qty)
    assert total == amount
