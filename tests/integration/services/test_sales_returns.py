"""The sales and returns services with the ledger, with exact amounts."""
from datetime import timedelta

import pytest

from portal import ledger
from portal.errors import ValidationError
from portal.extensions import db
from portal.models import Channel, OrderStatus, PaymentMethod, Stock, utcnow
from portal.services.clients import bonus as bonus_service
from portal.services.sales import returns, sales
from portal.services.sales.returns import NotReturnable, ReturnRequest
from portal.services.sales.sales import Sale, SaleLine
from portal.services.sales.stock import InsufficientStock


def sell(shop, lines, bonus=0, payments=None, now=None, client=True, channel=Channel.WEB):
    return sales.place_paid_order(Sale(
        channel=channel, lines=[SaleLine(qty=q, sku=s) for s, q in lines], location_id=shop["warehouse"].id,
        client_id=shop["client"].id if client else None, bonus_to_redeem=bonus, payments=payments, now=now))


def stock_of(shop, sku):
    return db.session.scalar(db.select(Stock.quantity).where(Stock.product_id == shop["products"][sku].id))


def give_bonus(shop, amount):
    from ...factories import make_staff
    boss = make_staff("supervisor")
    bonus_service.adjust(boss, shop["client"].id, amount, "welcome gift", f"test:gift:{amount}")
    db.session.commit()


def test_a_paid_web_order(shop):
    order = sell(shop, [("DRILL", 2), ("VALVE", 1)])
    assert order.status is OrderStatus.PAID and order.number == f"W-{order.id:06d}"
    drill, valve = order.lines
    assert (drill.price, drill.discount, drill.paid) == (1_000_00, 100_00, 1_900_00)   # 5 % on 2000.00
    assert (valve.discount, valve.paid) == (0, 99_99)                                   # not discountable
    assert order.paid == 1_999_99 and order.accrual == 99_99                            # 5 % of 1999.99, down
    assert [line.accrual for line in order.lines] == [94_99, 5_00]  # 9999 split 190000:9999, largest remainder
    assert [(p.method, p.amount) for p in order.payments] == [(PaymentMethod.ONLINE, 1_999_99)]
    assert stock_of(shop, "DRILL") == 98
    bonus = ledger.bonus_of(shop["client"].id)
    assert (bonus.available, bonus.pending) == (0, 99_99)
    assert bonus.next_release_at == order.paid_at + timedelta(days=14)


def test_spending_bonus_within_the_cap(shop):
    give_bonus(shop, 500_00)
    order = sell(shop, [("DRILL", 1)], bonus=285_00)   # cap: 30 % of 950.00
    assert (order.bonus_redeemed, order.paid, order.accrual) == (285_00, 665_00, 33_25)
    assert ledger.bonus_of(shop["client"].id).available == 215_00
    with pytest.raises(ValidationError) as too_much:
        sell(shop, [("DRILL", 1)], bonus=285_01)
    assert "bonus_to_redeem" in too_much.value.fields


def test_spending_more_than_available_is_refused_and_nothing_is_written(shop):
    give_bonus(shop, 100_00)
    orders_before = db.session.scalar(db.select(db.func.count()).select_from(db.metadata.tables["orders"]))
    with pytest.raises(ledger.InsufficientBonus):
        sell(shop, [("DRILL", 1)], bonus=100_01)
    assert db.session.scalar(db.select(db.func.count()).select_from(db.metadata.tables["orders"])) == orders_before
    assert stock_of(shop, "DRILL") == 100
    assert ledger.bonus_of(shop["client"].id).available == 100_00


def test_short_stock_is_refused_whole(shop):
    with pytest.raises(InsufficientStock):
        sell(shop, [("DRILL", 1), ("VALVE", 101)])
    assert stock_of(shop, "DRILL") == 100


def test_unknown_sku_and_bad_quantity(shop):
    with pytest.raises(ValidationError) as err:
        sales.place_paid_order(Sale(channel=Channel.WEB, location_id=shop["warehouse"].id,
                                    lines=[SaleLine(qty=1, sku="NOPE"), SaleLine(qty=0, sku="DRILL")]))
    assert set(err.value.fields) == {"lines[0].sku", "lines[1].qty"}


def test_split_payment_must_add_up(shop):
    order = sell(shop, [("VALVE", 2)], payments={PaymentMethod.CASH: 100_00, PaymentMethod.CARD: 99_98},
                 channel=Channel.SHOP)
    assert order.status is OrderStatus.COMPLETED
    with pytest.raises(ValidationError):
        sell(shop, [("VALVE", 2)], payments={PaymentMethod.CASH: 100_00})


def test_returning_one_of_three_units_three_times_restores_everything_exactly(shop):
    give_bonus(shop, 1_000_00)
    order = sell(shop, [("DRILL", 3)], bonus=850_00,
                 payments={PaymentMethod.CASH: 1_000_00, PaymentMethod.CARD: 1_000_00})
    assert (order.paid, order.bonus_redeemed, order.accrual) == (2_000_00, 850_00, 100_00)
    refunds, restored, reversed_, withheld = 0, 0, 0, 0
    by_method = {PaymentMethod.CASH: 0, PaymentMethod.CARD: 0}
    for i in range(3):
        ret = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key=f"r{i}")
        refunds += ret.refund_total
        restored += ret.bonus_restored
        reversed_ += ret.accrual_reversed
        withheld += ret.withheld
        for refund in ret.refunds:
            by_method[refund.method] += refund.amount + refund.withheld
    assert (refunds + withheld, restored, reversed_) == (2_000_00, 850_00, 100_00)
    assert by_method == {PaymentMethod.CASH: 1_000_00, PaymentMethod.CARD: 1_000_00}
    assert order.status is OrderStatus.RETURNED
    bonus = ledger.bonus_of(shop["client"].id)
    assert (bonus.available, bonus.pending) == (1_000_00, 0)
    assert stock_of(shop, "DRILL") == 100
    assert ledger.verify().ok


def test_first_partial_return_amounts(shop):
    order = sell(shop, [("DRILL", 3)])  # paid 2850.00, accrual 142.50 pending
    ret = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="first")
    assert (ret.refund_total, ret.accrual_reversed, ret.withheld) == (950_00, 47_50, 0)
    assert [(r.method, r.amount) for r in ret.refunds] == [(PaymentMethod.ONLINE, 950_00)]
    assert order.status is OrderStatus.PARTIALLY_RETURNED
    assert ledger.bonus_of(shop["client"].id).pending == 95_00


def test_a_released_and_spent_accrual_is_withheld_from_the_refund(shop):
    start = utcnow() - timedelta(days=13)
    order = sell(shop, [("DRILL", 1)], now=start)                     # accrual 47.50, released after 14 days
    later = start + timedelta(days=13, hours=23)
    sell(shop, [("VALVE", 1)], bonus=0, now=later)
    ledger.settle(shop["client"].id, start + timedelta(days=15))
    db.session.commit()
    assert ledger.bonus_of(shop["client"].id).available == 47_50
    spend = sell(shop, [("DRILL", 1)], bonus=40_00, now=start + timedelta(days=15))  # spends most of it
    assert spend.bonus_redeemed == 40_00
    app_return_days = 14
    ret = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="late",
                               now=start + timedelta(days=app_return_days - 1, hours=23, minutes=30))
    # 7.50 is still there and is taken back; 40.00 was spent and is kept from the money.
    assert (ret.accrual_reversed, ret.withheld, ret.refund_total) == (47_50, 40_00, 910_00)
    assert ledger.verify().ok


def test_non_returnable_and_past_window(shop):
    order = sell(shop, [("PIPE", 1), ("DRILL", 1)], now=utcnow() - timedelta(days=20))
    with pytest.raises(NotReturnable, match="non-returnable"):
        returns.return_goods(order.id, [ReturnRequest(qty=1, sku="PIPE")], key="pipe")
    with pytest.raises(NotReturnable, match="under warranty until"):
        returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="drill")


def test_more_than_bought_is_refused(shop):
    order = sell(shop, [("DRILL", 2)])
    returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="a")
    with pytest.raises(ValidationError):
        returns.return_goods(order.id, [ReturnRequest(qty=2, sku="DRILL")], key="b")


def test_a_repeated_return_key_changes_nothing(shop):
    order = sell(shop, [("DRILL", 2)])
    first = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="same")
    again = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="same")
    assert first.id == again.id
    assert order.lines[0].returned_qty == 1


def test_only_a_supervisor_adjusts_bonus_and_always_with_a_reason(shop):
    from portal.errors import DomainError

    from ...factories import make_staff
    manager = make_staff("manager")
    with pytest.raises(DomainError, match="Only a supervisor"):
        bonus_service.adjust(manager, shop["client"].id, 100, "gift", "test:by-manager")
    with pytest.raises(DomainError, match="Only a supervisor"):
        bonus_service.adjust(None, shop["client"].id, 100, "gift", "test:by-nobody")
    boss = make_staff("supervisor")
    with pytest.raises(ValidationError) as no_reason:
        bonus_service.adjust(boss, shop["client"].id, 100, "   ", "test:no-reason")
    assert "reason" in no_reason.value.fields
    db.session.rollback()
    assert ledger.bonus_of(shop["client"].id).available == 0
