"""Money coming in for a manager's order (SPEC §3, §5): partial payments, the guard against a
double submit, and what the last payment does (paid, accrual per line, notifications, 1C).

The three-line order used for the accrual (client discount 5 %, VALVE not discountable, 123.30 bonus):
    DRILL × 1  1 000.00 − 50.00 = 950.00   bonus 85.71   money 864.29
    PIPE  × 1    333.33 − 16.67 = 316.66   bonus 28.57   money 288.09
    VALVE × 1     99.99         =  99.99   bonus  9.02   money  90.97
  bonus 12 330 over 95 000 : 31 666 : 9 999 -> floors 8 570, 2 856, 902 (remainders .958, .926, .116)
  -> the 2 spare kopecks go to DRILL and PIPE;  money 1 243.35 in all.
  accrual 5 % of 1 243.35 = 62.1675 -> 62.16 rounded down (half-up would give 62.17);
  6 216 over 86 429 : 28 809 : 9 097 -> floors 4 320, 1 440, 454 (remainders .929, .276, .795)
  -> the 2 spare kopecks go to DRILL and VALVE: 43.21, 14.40, 4.55.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal import ledger
from portal.errors import DomainError, Forbidden, ValidationError
from portal.extensions import db
from portal.models import OrderStatus, Payment, PaymentMethod, PaymentTerms, utcnow
from portal.services import audit
from portal.services.orders import orders
from portal.services.orders import payments as order_payments

from .test_manager_orders import (  # noqa: F401
    actions,
    confirmed,
    give_bonus,
    new_order,
    notes,
    office,
    outbox,
    paid,
    reload,
    rub,
    submitted,
)

THREE_LINES = (("DRILL", 1), ("PIPE", 1), ("VALVE", 1, 0))


def pay(office, order, amount, method=PaymentMethod.BANK_TRANSFER, expected=None, now=None, actor=None):
    return order_payments.record_payment(actor or office.manager, order.id, method, amount,
                                         expected_outstanding=order.outstanding if expected is None else expected,
                                         now=now)


def payments_of(order) -> list[tuple[PaymentMethod, int]]:
    return [(p.method, p.amount) for p in db.session.scalars(
        db.select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))]


# ------------------------------------------------------------------------------------------- refusals

def test_payments_are_recorded_for_confirmed_orders_only(office):
    draft_order = new_order(office, [("DRILL", 1)])
    waiting = submitted(office, [("DRILL", 1)])
    cancelled = orders.cancel(office.manager, confirmed(office, [("DRILL", 1)]).id)
    done = paid(office, [("DRILL", 1)])
    for order in (draft_order, waiting, cancelled, done):
        with pytest.raises(DomainError, match="confirmed orders only"):
            pay(office, order, 1, expected=950_00 - order.received)
    assert [len(payments_of(o)) for o in (draft_order, waiting, cancelled, done)] == [0, 0, 0, 1]


def test_the_amount_must_be_positive_and_within_what_is_outstanding(office):
    order = confirmed(office)
    for amount in (0, -1):
        with pytest.raises(ValidationError) as refused:
            pay(office, order, amount)
        assert {k: str(v) for k, v in refused.value.fields.items()} == {"amount": "Enter an amount greater than zero."}
    with pytest.raises(ValidationError) as refused:
        pay(office, order, 2_849_99 + 1)
    assert {k: str(v) for k, v in refused.value.fields.items()} == {
        "amount": f"At most {rub('2,849.99')} is still to be paid."}
    order = pay(office, order, 1_000_00)
    with pytest.raises(ValidationError) as refused:
        pay(office, order, 1_849_99 + 1)
    assert str(refused.value.fields["amount"]) == f"At most {rub('1,849.99')} is still to be paid."
    order = reload(order)
    assert (order.received, order.status) == (1_000_00, OrderStatus.CONFIRMED)
    assert payments_of(order) == [(PaymentMethod.BANK_TRANSFER, 1_000_00)]


def test_the_method_must_be_bank_transfer_card_or_cash(office):
    order = confirmed(office)
    with pytest.raises(ValidationError) as refused:
        pay(office, order, 1_00, method=PaymentMethod.ONLINE)
    assert set(refused.value.fields) == {"method"}
    assert payments_of(order) == []
    for method in (PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD, PaymentMethod.CASH):
        order = pay(office, order, 1_00, method=method)
    assert payments_of(order) == [(PaymentMethod.BANK_TRANSFER, 1_00), (PaymentMethod.CARD, 1_00),
                                  (PaymentMethod.CASH, 1_00)]


def test_a_double_submit_records_nothing_the_second_time(office):
    order = confirmed(office)
    pay(office, order, 1_000_00, expected=2_849_99)
    with pytest.raises(DomainError, match="Another payment was recorded meanwhile"):
        pay(office, order, 1_000_00, expected=2_849_99)  # the same form sent again
    order = reload(order)
    assert (order.received, order.outstanding) == (1_000_00, 1_849_99)
    assert payments_of(order) == [(PaymentMethod.BANK_TRANSFER, 1_000_00)]
    assert actions(order).count("order_payment_recorded") == 1
    # Even a payment that would finish the order is refused when the manager saw an old figure.
    with pytest.raises(DomainError):
        pay(office, order, 1_849_99, expected=1_849_99 + 1)
    assert reload(order).status is OrderStatus.CONFIRMED


def test_another_managers_order_takes_no_payment(office):
    order = confirmed(office)
    with pytest.raises(Forbidden):
        pay(office, order, 1_00, actor=office.stranger)
    assert payments_of(order) == []


# -------------------------------------------------------------------------------------- paying

def test_partial_payments_accumulate_and_only_the_last_one_pays_the_order(office):
    order = confirmed(office, payment_terms=PaymentTerms.DEFERRED)
    steps = [(PaymentMethod.BANK_TRANSFER, 1_000_00), (PaymentMethod.CASH, 849_99), (PaymentMethod.CARD, 999_99)]
    received = 0
    for method, amount in steps:
        order = pay(office, order, amount, method=method)
        received += amount
        assert (order.received, order.outstanding, order.status) == (
            received, 2_849_99 - received, OrderStatus.CONFIRMED)
        assert (order.paid_at, order.accrual) == (None, 0)
    assert notes("order_paid") == [] and outbox(order)[-1].key.endswith(":confirmed")
    assert ledger.bonus_of(office.client.id).pending == 0
    order = pay(office, order, 1, method=PaymentMethod.CASH)
    assert (order.received, order.outstanding, order.status) == (2_849_99, 0, OrderStatus.PAID)
    assert payments_of(order) == [*steps, (PaymentMethod.CASH, 1)]
    assert order.accrual == 142_49  # 5 % of 2 849.99 = 142.4995, rounded down
    payment_events = [e for e in audit.history_of(order) if e.action == "order_payment_recorded"]
    assert [(e.before, e.after) for e in payment_events] == [
        ({"received": 0}, {"received": 1_000_00}), ({"received": 1_000_00}, {"received": 1_849_99}),
        ({"received": 1_849_99}, {"received": 2_849_98}), ({"received": 2_849_98}, {"received": 2_849_99})]


def test_the_last_payment_accrues_bonus_per_line_and_tells_everyone(office):
    give_bonus(office, 500_00)
    order = confirmed(office, THREE_LINES, bonus=123_30)
    assert [(line.discount, line.bonus, line.paid) for line in order.lines] == [
        (50_00, 85_71, 864_29), (16_67, 28_57, 288_09), (0, 9_02, 90_97)]
    assert (order.bonus_redeemed, order.paid) == (123_30, 1_243_35)
    before = ledger.bonus_of(office.client.id)
    assert (before.available, before.pending) == (500_00 - 123_30, 0)
    now = utcnow()

    order = pay(office, order, 1_000_00, now=now)
    order = pay(office, order, 243_35, method=PaymentMethod.CARD, now=now)

    assert (order.status, order.paid_at, order.received) == (OrderStatus.PAID, now, 1_243_35)
    assert order.accrual == 62_16
    assert [line.accrual for line in order.lines] == [43_21, 14_40, 4_55]
    after = ledger.bonus_of(office.client.id)
    assert after.pending - before.pending == order.accrual == 62_16
    assert after.available == before.available  # pending first, for the return window
    assert after.next_release_at == now + timedelta(days=14)
    # 1C
    assert [e.key for e in outbox(order)] == [f"1c:order:{order.id}:confirmed", f"1c:order:{order.id}:paid"]
    assert outbox(order)[-1].payload == {"number": order.number, "event": "paid", "received": 1_243_35,
                                         "accrual": 62_16}
    # the creator is also the responsible manager: told once
    (note,) = notes("order_paid")
    assert (note.user_id, note.link) == (office.manager.id, f"/manager/orders/{order.id}")
    assert note.params == {"number": order.number, "client": office.client.name, "amount": 1_243_35}
    (client_note,) = notes("client_order_paid")
    assert (client_note.client_id, client_note.user_id) == (office.client.id, None)
    assert client_note.params == {"number": order.number, "amount": 1_243_35}
    assert ledger.verify().ok


def test_the_creator_and_the_responsible_manager_are_each_told_once(office):
    order = confirmed(office, [("DRILL", 1)], actor=office.boss)  # made by the supervisor
    assert order.created_by_id == office.boss.id
    pay(office, order, 500_00, actor=office.boss)
    pay(office, order, 450_00, actor=office.manager)
    assert sorted(n.user_id for n in notes("order_paid")) == sorted([office.boss.id, office.manager.id])
    assert len(notes("client_order_paid")) == 1


def test_the_whole_flow_leaves_the_ledger_consistent(office):
    give_bonus(office, 1_000_00)
    first = confirmed(office, THREE_LINES, bonus=123_30, payment_terms=PaymentTerms.DEFERRED)
    second = confirmed(office, bonus=854_99)
    pay(office, first, 1_243_35)
    pay(office, second, 1_000_00)
    pay(office, reload(second), 995_00, method=PaymentMethod.CASH)
    third = confirmed(office, [("DRILL", 1)], bonus=20_00)
    orders.cancel(office.manager, third.id)
    bonus = ledger.bonus_of(office.client.id)
    assert bonus.available == 1_000_00 - 123_30 - 854_99
    assert bonus.pending == 62_16 + 99_75  # 5 % of 1 995.00
    result = ledger.verify()
    assert result.ok, result.problems
    assert result.total == 0
