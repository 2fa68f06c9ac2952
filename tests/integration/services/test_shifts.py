"""Cash shifts: the X report (any time) and the Z report (at close) with exact sums.

Sales go through the till (`till.checkout`), returns through `returns.return_goods(..., shift_id=...)`,
exactly as the cashier's screens do it.
"""
from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.models import Order, PaymentMethod, Shift
from portal.services.clients import bonus as bonus_service
from portal.services.sales import returns, shifts, till
from portal.services.sales.returns import ReturnRequest

from ...factories import make_client, make_location, make_product, make_staff

CASH, CARD = PaymentMethod.CASH, PaymentMethod.CARD


@pytest.fixture
def desk(ctx):
    """A shop with a cashier, two products in stock and a client (no discount) with 500.00 of bonus."""
    shop = make_location("shop", code="SH1")
    cashier = make_staff("cashier", shop=shop)
    apple = make_product("APPLE", 100_00, stock={shop: 50})
    berry = make_product("BERRY", 33_33, stock={shop: 50})
    client = make_client(name="Regular", phone="+79161234567")
    boss = make_staff("supervisor")
    bonus_service.adjust(boss, client.id, 500_00, "welcome gift", "test:shift:gift")
    db.session.commit()
    return {"shop": shop, "cashier": cashier, "apple": apple, "berry": berry, "client": client}


def ring_up(cashier, items, *, card=0, tendered=None, client=None, bonus=0):
    """Put `items` [(product, qty)] in the cart and pay: `card` on the card, the rest in cash."""
    for product, qty in items:
        till.add(cashier, product.id, by=qty)
    if client is not None:
        till.attach_client(cashier, client.primary_phone)
        if bonus:
            till.set_bonus(cashier, bonus)
    cart = till.view(cashier)
    return till.checkout(cashier, card=card, cash_tendered=tendered, version=cart.cart.version).order


def line_of(order, product):
    return next(line for line in order.lines if line.product_id == product.id)


def test_x_and_z_reports_sum_sales_and_returns_by_method_exactly(desk):
    cashier, apple, berry = desk["cashier"], desk["apple"], desk["berry"]
    shift = shifts.open_shift(cashier, 500_00)

    x0 = shifts.report(shift)
    assert (x0.sales_count, x0.returns_count, x0.sales, x0.refunds) == (0, 0, {}, {})
    assert x0.expected_cash == 500_00 and x0.difference is None
    assert x0.methods == [CASH, CARD]  # the till's methods are always listed

    cash_sale = ring_up(cashier, [(apple, 2)], tendered=250_00)                    # 200.00 cash, change 50.00
    x1 = shifts.report(shift)                                                      # an X report mid-shift
    assert (x1.sales, x1.refunds, x1.expected_cash) == ({CASH: 200_00}, {}, 700_00)

    card_sale = ring_up(cashier, [(berry, 3)], card=99_99)                         # 99.99 card
    split_sale = ring_up(cashier, [(apple, 1), (berry, 1)], card=100_00, tendered=50_00)  # 133.33: 100.00 + 33.33
    bonus_sale = ring_up(cashier, [(apple, 1)], card=70_00, client=desk["client"], bonus=30_00)
    assert [(p.method, p.amount) for p in split_sale.payments] == [(CASH, 33_33), (CARD, 100_00)]
    assert (bonus_sale.bonus_redeemed, bonus_sale.paid) == (30_00, 70_00)
    assert {o.shift_id for o in (cash_sale, card_sale, split_sale, bonus_sale)} == {shift.id}

    cash_return = returns.return_goods(cash_sale.id, [ReturnRequest(qty=1, order_line_id=line_of(cash_sale, apple).id)],
                                       key="r-cash", actor_id=cashier.id, location_id=desk["shop"].id,
                                       shift_id=shift.id)
    assert [(r.method, r.amount) for r in cash_return.refunds] == [(CASH, 100_00)]
    split_return = returns.return_goods(split_sale.id,
                                        [ReturnRequest(qty=1, order_line_id=line_of(split_sale, berry).id)],
                                        key="r-split", actor_id=cashier.id, location_id=desk["shop"].id,
                                        shift_id=shift.id)
    # 33.33 back over what each method paid (33.33 cash : 100.00 card), largest remainder.
    assert [(r.method, r.amount) for r in split_return.refunds] == [(CASH, 8_33), (CARD, 25_00)]

    x = shifts.report(shift)
    assert (x.sales_count, x.returns_count, x.bonus_spent) == (4, 2, 30_00)
    assert x.sales == {CASH: 200_00 + 33_33, CARD: 99_99 + 100_00 + 70_00}
    assert x.refunds == {CASH: 100_00 + 8_33, CARD: 25_00}
    assert (x.net(CASH), x.net(CARD)) == (125_00, 244_99)
    assert (x.total_sales, x.total_refunds) == (503_32, 133_33)
    assert x.expected_cash == 500_00 + 233_33 - 108_33 == 625_00
    assert x.difference is None and shift.closed_at is None

    z = shifts.close_shift(cashier, 620_00)  # five short
    assert z.shift.id == shift.id and z.shift.closed_at is not None
    assert (z.shift.expected_cash, z.shift.counted_cash, z.difference) == (625_00, 620_00, -5_00)
    assert (z.sales, z.refunds, z.sales_count, z.returns_count) == (x.sales, x.refunds, 4, 2)
    assert shifts.current_shift(cashier.id) is None


def test_an_overage_is_a_positive_difference_and_an_exact_count_is_zero(desk):
    cashier = desk["cashier"]
    shifts.open_shift(cashier, 0)
    ring_up(cashier, [(desk["berry"], 1)], tendered=40_00)  # 33.33 cash, change 6.67 leaves the drawer
    assert shifts.close_shift(cashier, 33_34).difference == 1
    shifts.open_shift(cashier, 10_00)
    ring_up(cashier, [(desk["berry"], 1)], card=33_33)
    z = shifts.close_shift(cashier, 10_00)
    assert (z.expected_cash, z.difference, z.sales) == (10_00, 0, {CARD: 33_33})


def test_a_closed_shifts_z_report_stays_fixed(desk):
    cashier, apple = desk["cashier"], desk["apple"]
    first = shifts.open_shift(cashier, 100_00)
    sold = ring_up(cashier, [(apple, 2)], tendered=200_00)
    z = shifts.close_shift(cashier, 290_00)
    assert (z.expected_cash, z.difference) == (300_00, -10_00)

    # The next shift takes back a unit of the first shift's sale: that refund belongs to the new shift.
    second = shifts.open_shift(cashier, 150_00)
    assert second.id != first.id
    returns.return_goods(sold.id, [ReturnRequest(qty=1, order_line_id=sold.lines[0].id)], key="next-day",
                         actor_id=cashier.id, location_id=desk["shop"].id, shift_id=second.id)
    ring_up(cashier, [(apple, 1)], card=100_00)

    again = shifts.report(shifts.get_shift(first.id))
    assert (again.sales, again.refunds, again.sales_count, again.returns_count) == ({CASH: 200_00}, {}, 1, 0)
    assert (again.shift.expected_cash, again.shift.counted_cash, again.difference) == (300_00, 290_00, -10_00)
    now = shifts.report(second)
    assert (now.sales, now.refunds, now.expected_cash) == ({CARD: 100_00}, {CASH: 100_00}, 50_00)
    assert [s.id for s in shifts.recent_shifts(cashier.id)] == [second.id, first.id]


def test_one_open_shift_per_cashier(desk):
    cashier = desk["cashier"]
    shift = shifts.open_shift(cashier, 100_00)
    with pytest.raises(DomainError, match="already open"):
        shifts.open_shift(cashier, 200_00)
    assert db.session.scalar(db.select(db.func.count(Shift.id))) == 1
    assert shifts.current_shift(cashier.id).opening_float == 100_00

    # The database itself refuses a second open shift (two taps racing past the check).
    db.session.add(Shift(cashier_id=cashier.id, location_id=desk["shop"].id, opening_float=0))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    # Another cashier opens their own; after closing, the first opens a new one.
    other = make_staff("cashier", shop=desk["shop"])
    assert shifts.open_shift(other, 0).cashier_id == other.id
    shifts.close_shift(cashier, 100_00)
    assert shifts.open_shift(cashier, 0).id not in (shift.id, None)


def test_bad_amounts_and_wrong_people(desk):
    cashier = desk["cashier"]
    with pytest.raises(ValidationError) as bad_float:
        shifts.open_shift(cashier, -1)
    assert "opening_float" in bad_float.value.fields
    with pytest.raises(shifts.NoOpenShift):
        shifts.close_shift(cashier, 0)
    with pytest.raises(DomainError, match="Only a cashier"):
        shifts.open_shift(make_staff("manager"), 0)
    shifts.open_shift(cashier, 0)
    with pytest.raises(ValidationError) as bad_count:
        shifts.close_shift(cashier, -1)
    assert "counted_cash" in bad_count.value.fields
    assert shifts.current_shift(cashier.id) is not None


def test_a_sale_without_an_open_shift_is_refused_with_a_clear_message(desk):
    cashier = desk["cashier"]
    till.add(cashier, desk["apple"].id)
    version = till.view(cashier).cart.version
    with pytest.raises(shifts.NoOpenShift) as refused:
        till.checkout(cashier, card=100_00, cash_tendered=None, version=version)
    assert str(refused.value.message) == "Open a shift first: a sale needs an open shift."
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0
    assert [line["qty"] for line in till.view(cashier).cart.lines] == [1]  # the cart waits

    # After closing a shift the till is shut again.
    shifts.open_shift(cashier, 0)
    shifts.close_shift(cashier, 0)
    with pytest.raises(shifts.NoOpenShift):
        till.checkout(cashier, card=100_00, cash_tendered=None, version=version)
